using Ferry.Core.Errors;
using Renci.SshNet.Sftp;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Reads from a remote file (optionally a bounded range of it) on a pooled connection, and
/// hands the connection back when disposed. SSH.NET errors become <see cref="FerryException"/>s.
/// </summary>
internal sealed class SftpReadStream(SftpFileStream inner, SftpLease lease, long? length, string where) : SftpLeasedReadStream(lease, where)
{
    private readonly SftpFileStream _inner = inner;
    private long _remaining = length ?? long.MaxValue;

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
            Cancelled();
            throw;
        }
        catch (Exception ex)
        {
            throw Fail(ex);
        }
    }

    /// <summary>Closes the handle on an SFTP call thread, not the caller's (SSH.NET blocks for the round trip).</summary>
    protected override async ValueTask CloseHandleAsync() =>
        await SftpBlockingCalls.Run(_inner.Dispose, CancellationToken.None).ConfigureAwait(false);
}
