using Ferry.Core.Transfers;

namespace Ferry.Core.Streams;

/// <summary>Passes reads through and counts them into a <see cref="ProgressMeter"/>.</summary>
public sealed class ProgressReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly ProgressMeter _meter;

    public ProgressReadStream(Stream inner, ProgressMeter meter)
    {
        _inner = inner;
        _meter = meter;
    }

    public override long Length => _inner.Length;

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        _meter.Add(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _meter.Add(n);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
