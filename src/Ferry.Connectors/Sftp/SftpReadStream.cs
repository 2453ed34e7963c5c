using Ferry.Core.Errors;
using Ferry.Core.Streams;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Reads from a remote file (optionally a bounded range of it) on a pooled connection, and
/// hands the connection back when disposed. SSH.NET errors become <see cref="FerryException"/>s.
/// </summary>
internal sealed class SftpReadStream : ReadOnlyStream
{
    private readonly SftpFileStream _inner;
    private readonly SftpLease _lease;
    private readonly string _where;
    private long _remaining;
    private int _disposed;

    public SftpReadStream(SftpFileStream inner, SftpLease lease, long? length, string where)
    {
        _inner = inner;
        _lease = lease;
        _where = where;
        _remaining = length ?? long.MaxValue;
    }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0)
        {
            return 0;
        }

        try
        {
            var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            _remaining -= n;
            return n;
        }
        catch (Exception ex)
        {
            throw Fail(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0)
        {
            return 0;
        }

        try
        {
            var n = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
            _remaining -= n;
            return n;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _lease.MarkBroken();
            throw;
        }
        catch (Exception ex)
        {
            throw Fail(ex);
        }
    }

    private FerryException Fail(Exception ex)
    {
        var fe = SftpErrors.Classify(ex, _where);
        if (fe.IsTransient)
        {
            _lease.MarkBroken();
        }

        return fe;
    }

    /// <summary>Closes the handle on an SFTP call thread, not the caller's (Dispose waits for the round trip there).</summary>
    /// <remarks>
    /// On a broken connection (a read failed or was cancelled) the handle is not closed: the
    /// connection is dropped with it, and a server that stopped answering would hold the close
    /// for the whole operation timeout.
    /// </remarks>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!_lease.IsBroken)
            {
                try
                {
                    await SftpBlockingCalls.Run(_inner.Dispose, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    _lease.MarkBroken();
                }
            }

            _lease.Dispose();
        }

        GC.SuppressFinalize(this);
        base.Dispose(disposing: false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                if (!_lease.IsBroken)
                {
                    _inner.Dispose();
                }
            }
            catch (Exception)
            {
                // Closing the handle failed: the connection is suspect.
                _lease.MarkBroken();
            }

            _lease.Dispose();
        }

        base.Dispose(disposing);
    }
}
