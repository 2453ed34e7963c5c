using System.Reflection;
using System.Runtime.CompilerServices;
using Ferry.Core.Streams;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Writes a file as SFTP write requests of up to <see cref="WriteLength"/> bytes (to servers that
/// take them: <see cref="WriteLengthFor"/>), sent one after
/// another from the caller's (blocking) thread and answered by callback on SSH.NET's receive
/// thread (<see cref="SftpAnswer{T}"/>). SSH.NET's <c>UploadFile</c> caps each write at the SSH
/// channel's packet size (32 KiB for OpenSSH), so the server answers, and SSH.NET's receive thread
/// wakes, eight times as often as it has to: a write request may be larger than a channel packet,
/// SSH.NET's channel splits it, and OpenSSH's sftp-server takes messages up to 256 KiB. Unlike
/// <c>UploadFile</c>, the writes in flight stay below what the SSH channel's window holds
/// (<see cref="SftpWritesInFlight"/>), so sending does not stall on a closed window at every
/// adjustment; one request buffer serves every write, as there: the channel has copied the request
/// into its packets before <c>RequestWrite</c> returns.
/// </summary>
internal static class SftpCallbackWriter
{
    /// <summary>
    /// The largest write OpenSSH's sftp-server takes: its messages are at most 256 KiB, and its
    /// limits@openssh.com answer names 255 KiB as the longest write.
    /// </summary>
    public const int WriteLength = 255 * 1024;

    /// <summary>
    /// The write length for a server: <see cref="WriteLength"/> for one that names the
    /// limits@openssh.com extension (OpenSSH 8.6 and later: its sftp-server); otherwise what SSH.NET's
    /// <c>UploadFile</c> would use, one SSH channel packet (<paramref name="packetWriteLength"/>),
    /// because the SFTP drafts promise only messages of 34,000 bytes and a server may drop the
    /// connection over a longer one.
    /// </summary>
    public static int WriteLengthFor(IDictionary<string, string>? serverExtensions, uint packetWriteLength) =>
        serverExtensions?.ContainsKey("limits@openssh.com") == true ? WriteLength : (int)Math.Min(packetWriteLength, WriteLength);

    /// <summary>Request buffers the source is read ahead into: 1 MiB at 255 KiB a write.</summary>
    private const int ReadAheadBuffers = 4;

    // What UploadFile asks SSH.NET for (its buffer size); the channel's packet size caps it.
    private const uint UploadBufferSize = 256 * 1024;

    private const string BufferType = "Renci.SshNet.Sftp.Requests.SftpWriteRequestBuffer, Renci.SshNet";
    private const string StatusAction = "System.Action`1[[Renci.SshNet.Sftp.Responses.SftpStatusResponse, Renci.SshNet]]";
    private static readonly Type? StatusActionType = Type.GetType(StatusAction, throwOnError: false);

    /// <summary>Why this SSH.NET lacks what the writer needs; null when nothing is missing.</summary>
    public static string? Missing { get; } =
        SftpFileRequests.FallbackReason ?? (StatusActionType is null ? "no Action<SftpStatusResponse>" : null);

    /// <summary>
    /// Opens <paramref name="fullPath"/> as <paramref name="mode"/> says and writes everything
    /// <paramref name="input"/> yields into it from <paramref name="offset"/> on, then closes it.
    /// <paramref name="length"/> is the size the file should reach (it sizes the read-ahead).
    /// <paramref name="acknowledged"/> hears, in order and on SSH.NET's receive thread, each offset
    /// up to which the server has confirmed every write.
    /// </summary>
    public static async Task WriteAsync(SftpClient client, string fullPath, SftpOpenMode mode, Stream input, long offset, long length, Action<long>? acknowledged,
        CancellationToken cancellationToken)
    {
        var session = SftpSessionAccess.Session(client);
        var handle = await SftpFileRequests.OpenForWriteAsync(session, fullPath, mode, client.OperationTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            // Sending blocks while the writes in flight are at their limit: on an SFTP call thread.
            var writeLength = WriteLengthFor(SftpSessionAccess.Extensions(session), SftpSessionAccess.OptimalWriteLength(session, UploadBufferSize, handle));
            var writes = await SftpBlockingCalls.Run(
                    () => Send(session, handle, input, offset, length - offset, writeLength, acknowledged, client.OperationTimeout, cancellationToken), CancellationToken.None)
                .ConfigureAwait(false);
            await writes.WaitAsync(session, client.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The close goes out after any write still in flight. Sending it can itself throw (the
            // connection is gone, and the handle with it): the write's own error is what counts.
            _ = CloseQuietlyAsync(session, handle, client.OperationTimeout);
            throw;
        }

        await SftpFileRequests.CloseAsync(session, handle, client.OperationTimeout, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CloseQuietlyAsync(object session, byte[] handle, TimeSpan timeout)
    {
        try
        {
            await SftpFileRequests.CloseAsync(session, handle, timeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // See the caller: nothing more to do with a handle on a failed write.
        }
    }

    /// <summary>
    /// Sends the writes and returns the answer that completes once the server has confirmed them
    /// all, or fails with its first refusal. <paramref name="input"/> is read ahead
    /// (<see cref="ReadAhead"/>) into a ring of request buffers: receiving and hashing the source
    /// overlap with encrypting and sending what was read before.
    /// </summary>
    private static SftpAnswer<long> Send(object session, byte[] handle, Stream input, long offset, long length, int writeLength, Action<long>? acknowledged,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var writes = new SftpWritesInFlight(acknowledged, SftpWritesInFlight.LimitFor(SftpSessionAccess.ChannelWindow(session), writeLength));
        var sessionFailure = () => SftpSessionAccess.Failure(session);
        // One more than the writes the file needs: the read that finds its end.
        var ring = (int)Math.Clamp((length / writeLength) + 1, 1, ReadAheadBuffers);
        var buffers = new object[ring];
        var readAhead = (ReadAhead?)null;
        try
        {
            for (var i = 0; i < ring; i++)
            {
                buffers[i] = NewBuffer(handle, writeLength, usePool: true);
            }

            // A pooled buffer may hold more than asked for: each write carries writeLength bytes at most.
            readAhead = new ReadAhead(input, [.. buffers.Select(b => DataOf(b).Slice(0, writeLength))], cancellationToken);
            var position = offset;
            while (!writes.Result.Task.IsCompleted && readAhead.Take() is { Length: > 0 } filled)
            {
                var buffer = buffers[filled.Index];
                SetServerFileOffset(buffer, (ulong)position);
                SetDataLength(buffer, filled.Length);
                position += filled.Length;
                writes.Sending(sessionFailure, timeout, cancellationToken);
                RequestWrite(session, buffer, SftpAnswer<long>.Callback(StatusActionType!, new Answer(writes, position), Answer.OnStatusMethod));
                readAhead.Release();
            }

            writes.AllSent(position);
            return writes.Result;
        }
        finally
        {
            // A buffer the reader may still be filling goes to the garbage collector, not back to the pool.
            if (readAhead?.Stop(TimeSpan.FromSeconds(5)) != false)
            {
                foreach (var buffer in buffers.OfType<IDisposable>())
                {
                    buffer.Dispose();
                }
            }
        }
    }

    // Runs on SSH.NET's receive thread, where an exception would fail the whole session: none escapes.
    private sealed class Answer(SftpWritesInFlight writes, long end)
    {
        public static readonly MethodInfo OnStatusMethod = typeof(Answer).GetMethod(nameof(OnStatus))!;

        public void OnStatus(object response)
        {
            try
            {
                writes.Answered(end, SftpFileRequests.Error(response, null));
            }
            catch (Exception ex)
            {
                writes.Fail(ex);
            }
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(BufferType)]
    private static extern object NewBuffer(ReadOnlySpan<byte> handle, int dataCapacity, bool usePool);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Data")]
    private static extern ArraySegment<byte> DataOf([UnsafeAccessorType(BufferType)] object buffer);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ServerFileOffset")]
    private static extern void SetServerFileOffset([UnsafeAccessorType(BufferType)] object buffer, ulong offset);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_DataLength")]
    private static extern void SetDataLength([UnsafeAccessorType(BufferType)] object buffer, int length);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "RequestWrite")]
    private static extern void RequestWrite(
        [UnsafeAccessorType(SftpSessionAccess.SessionTypeName)] object session, [UnsafeAccessorType(BufferType)] object buffer, [UnsafeAccessorType(StatusAction)] object writeCompleted);
}
