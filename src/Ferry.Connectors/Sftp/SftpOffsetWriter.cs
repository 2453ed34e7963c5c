using System.Runtime.CompilerServices;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Pipelined writes into an existing file from an offset: how an interrupted delivery continues
/// its part file. SSH.NET's <c>UploadFile</c> always starts at byte 0 of a truncated file, and its
/// <c>SftpFileStream</c> waits for each write before sending the next (0.3x OpenSSH here). This
/// opens the file without truncating it and keeps up to <see cref="MaxInFlight"/> writes in flight
/// through the session's internal <c>RequestWriteAsync</c>, which copies the data into the request
/// before it returns, so one buffer serves every write.
/// </summary>
internal static class SftpOffsetWriter
{
    /// <summary>Writes in flight: 64 of the ~32 KiB an OpenSSH session channel packet holds fill its 2 MiB window.</summary>
    public const int MaxInFlight = 64;

    /// <summary>
    /// Writes everything <paramref name="source"/> yields into <paramref name="fullPath"/> from
    /// <paramref name="offset"/> on; <paramref name="acknowledged"/> hears each offset up to which
    /// the server has confirmed every write.
    /// </summary>
    public static async Task WriteAsync(SftpClient client, string fullPath, Stream source, long offset, Action<long>? acknowledged, CancellationToken cancellationToken)
    {
        var session = SftpSessionAccess.Session(client);
        var file = await SftpBlockingCalls.Run(() => client.Open(fullPath, FileMode.Open, FileAccess.Write), cancellationToken).ConfigureAwait(false);
        var pending = new Queue<(Task Write, long End)>();
        try
        {
            var handle = file.Handle;
            var buffer = new byte[OptimalWriteLength(session, 256 * 1024, handle)];
            var position = offset;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                pending.Enqueue((RequestWriteAsync(session, handle, (ulong)position, buffer, 0, read, cancellationToken), position + read));
                position += read;
                while (pending.Count >= MaxInFlight)
                {
                    await AcknowledgeAsync(pending.Dequeue(), acknowledged).ConfigureAwait(false);
                }
            }

            while (pending.Count > 0)
            {
                await AcknowledgeAsync(pending.Dequeue(), acknowledged).ConfigureAwait(false);
            }
        }
        finally
        {
            // After a failure, the writes still in flight fail or time out with the connection; their errors add nothing.
            foreach (var (write, _) in pending)
            {
                _ = write.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            await SftpBlockingCalls.Run(() => CloseQuietly(file), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task AcknowledgeAsync((Task Write, long End) write, Action<long>? acknowledged)
    {
        await write.Write.ConfigureAwait(false);
        acknowledged?.Invoke(write.End);
    }

    private static bool CloseQuietly(Stream file)
    {
        try
        {
            file.Dispose();
            return true;
        }
        catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone, and the handle with it; the write's own error is what counts.
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "RequestWriteAsync")]
    private static extern Task RequestWriteAsync(
        [UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object session, byte[] handle, ulong serverOffset, byte[] data, int offset, int length,
        CancellationToken cancellationToken);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "CalculateOptimalWriteLength")]
    private static extern uint OptimalWriteLength([UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object session, uint bufferSize, byte[] handle);
}
