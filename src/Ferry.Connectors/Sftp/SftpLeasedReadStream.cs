using Ferry.Core.Errors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Base for the streams that read a remote file on a pooled connection (<see cref="SftpLease"/>):
/// what a failed read does to the connection and how the stream gives it back are decided here
/// once, for both readers (<see cref="SftpCallbackReadStream"/> and its fallback <see cref="SftpReadStream"/>).
/// </summary>
/// <remarks>
/// A read that fails transiently or is cancelled drops the connection (a request may still be
/// answered on it). Disposing closes the file handle and hands the connection back; on a broken
/// connection the handle is not closed, because the connection is dropped with it and a server
/// that stopped answering would hold the close for the whole operation timeout.
/// </remarks>
internal abstract class SftpLeasedReadStream(SftpLease lease, string where) : ReadOnlyStream
{
    private int _disposed;

    /// <summary>Marks the connection broken when a read was cancelled: its answer may still come.</summary>
    protected void Cancelled() => lease.MarkBroken();

    /// <summary>The error to throw for a failed read; a transient one also drops the connection.</summary>
    protected FerryException Fail(Exception ex)
    {
        var fe = SftpErrors.Classify(ex, where);
        if (fe.IsTransient)
        {
            lease.MarkBroken();
        }

        return fe;
    }

    /// <summary>Releases what the stream holds locally; runs once, whatever state the connection is in.</summary>
    protected virtual void Release()
    {
    }

    /// <summary>Closes the remote handle; only called while the connection is sound.</summary>
    protected abstract ValueTask CloseHandleAsync();

    public sealed override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
            if (!lease.IsBroken)
            {
                try
                {
                    await CloseHandleAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Closing the handle failed: the connection is suspect.
                    lease.MarkBroken();
                }
            }

            lease.Dispose();
        }

        GC.SuppressFinalize(this);
        base.Dispose(disposing: false);
    }

    protected sealed override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
