namespace Ferry.Core.Streams;

/// <summary>
/// <paramref name="inner"/> without its first <paramref name="skip"/> bytes (read and dropped on
/// the first read): one of several writers fed by a <see cref="StreamFanOut"/> that is further
/// along than the others when a transfer continues. Disposing disposes the inner stream.
/// </summary>
public sealed class SkippingReadStream(Stream inner, long skip) : ReadOnlyStream
{
    private long _skip = skip;

    public override int Read(Span<byte> buffer)
    {
        while (_skip > 0)
        {
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _skip)]);
            if (n == 0)
            {
                throw new EndOfStreamException($"the source ended {_skip} bytes before the offset to continue from");
            }

            _skip -= n;
        }

        return inner.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_skip > 0)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _skip)], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"the source ended {_skip} bytes before the offset to continue from");
            }

            _skip -= n;
        }

        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
