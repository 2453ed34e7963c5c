using System.Reflection;
using System.Runtime.CompilerServices;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Writes a file as SFTP write requests of up to <see cref="WriteLength"/> bytes (to servers that
/// take them: <see cref="WriteLengthFor"/>), sent one after
/// another from the caller's (blocking) thread and answered by callback on SSH.NET's receive
/// thread (<see cref="SftpAnswer{T}"/>). SSH.NET's <c>UploadFile</c> caps each write at the SSH
/// channel's packet size (32 KiB for OpenSSH), so the server answers, and SSH.NET's receive thread
/// wakes, eight times as often as it has to: a write request may be larger than a channel packet,
/// SSH.NET's channel splits it, and OpenSSH's sftp-server takes messages up to 256 KiB. As in
/// <c>UploadFile</c>, the SSH channel's window is what bounds the writes in flight (sending blocks
/// while it is closed), and one request buffer serves every write: the channel has copied the
/// request into its packets before <c>RequestWrite</c> returns.
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
    /// <paramref name="acknowledged"/> hears, in order and on SSH.NET's receive thread, each offset
    /// up to which the server has confirmed every write.
    /// </summary>
    public static async Task WriteAsync(SftpClient client, string fullPath, SftpOpenMode mode, Stream input, long offset, Action<long>? acknowledged,
        CancellationToken cancellationToken)
    {
        var session = SftpSessionAccess.Session(client);
        var handle = await SftpFileRequests.OpenForWriteAsync(session, fullPath, mode, client.OperationTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            // Sending blocks while the channel's window is closed, and the source is read synchronously: on an SFTP call thread.
            var writeLength = WriteLengthFor(SftpSessionAccess.Extensions(session), SftpSessionAccess.OptimalWriteLength(session, UploadBufferSize, handle));
            var writes = await SftpBlockingCalls.Run(() => Send(session, handle, input, offset, writeLength, acknowledged), CancellationToken.None).ConfigureAwait(false);
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
    /// Sends the writes (reading <paramref name="input"/> synchronously) and returns the answer that
    /// completes once the server has confirmed them all, or fails with its first refusal.
    /// </summary>
    private static SftpAnswer<long> Send(object session, byte[] handle, Stream input, long offset, int writeLength, Action<long>? acknowledged)
    {
        var writes = new Writes(acknowledged);
        var buffer = NewBuffer(handle, writeLength, usePool: true);
        try
        {
            var data = DataOf(buffer);
            var position = offset;
            int read;
            while (!writes.Result.Task.IsCompleted && (read = ReadFull(input, data.Array!, data.Offset, writeLength)) > 0)
            {
                SetServerFileOffset(buffer, (ulong)position);
                SetDataLength(buffer, read);
                position += read;
                writes.Sending();
                RequestWrite(session, buffer, SftpAnswer<long>.Callback(StatusActionType!, new Answer(writes, position), Answer.OnStatusMethod));
            }

            writes.AllSent(position);
            return writes.Result;
        }
        finally
        {
            ((IDisposable)buffer).Dispose();
        }
    }

    // Whole buffers: a short read would make a short write, correct but one more request and answer.
    private static int ReadFull(Stream input, byte[] buffer, int offset, int count)
    {
        var total = 0;
        int read;
        while (total < count && (read = input.Read(buffer, offset + total, count - total)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>The writes of one file: how many are unanswered, and the outcome once all are answered.</summary>
    private sealed class Writes(Action<long>? acknowledged)
    {
        private readonly Lock _lock = new();
        private int _unanswered;
        private long _end = -1;

        public SftpAnswer<long> Result { get; } = new();

        public void Sending()
        {
            lock (_lock)
            {
                _unanswered++;
            }
        }

        public void AllSent(long end)
        {
            lock (_lock)
            {
                _end = end;
                if (_unanswered == 0)
                {
                    Result.Complete(end);
                }
            }
        }

        // On SSH.NET's receive thread, answers arrive in the order the writes went out.
        public void Answered(long end, Exception? error)
        {
            if (error is not null)
            {
                Result.Fail(error);
                return;
            }

            acknowledged?.Invoke(end);
            lock (_lock)
            {
                if (--_unanswered == 0 && _end >= 0)
                {
                    Result.Complete(_end);
                }
            }
        }
    }

    // Runs on SSH.NET's receive thread, where an exception would fail the whole session: none escapes.
    private sealed class Answer(Writes writes, long end)
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
                writes.Result.Fail(ex);
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
