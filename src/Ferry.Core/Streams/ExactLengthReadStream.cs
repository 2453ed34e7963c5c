using System.Security.Cryptography;
using Ferry.Core.Errors;

namespace Ferry.Core.Streams;

/// <summary>
/// A read-only view of a source that must yield exactly <c>length</c> bytes. Every read fills
/// the caller's buffer unless the end is reached (SSH.NET sends one SFTP write per read, so
/// short reads would mean small packets), a source that ends early fails with SIZE_MISMATCH,
/// and bytes beyond <c>length</c> are detected by <see cref="EnsureSourceExhaustedAsync"/>.
/// Cancellation is checked on every read, which is how a synchronous consumer (SSH.NET's
/// pipelined UploadFile) is stopped. Every byte read is hashed, so a write knows the SHA-256 of
/// exactly what it sent without a second pass.
/// </summary>
public sealed class ExactLengthReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly long _length;
    private readonly CancellationToken _cancellationToken;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private string? _sha256Hex;

    public ExactLengthReadStream(Stream inner, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _inner = inner;
        _length = length;
        _cancellationToken = cancellationToken;
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public long Remaining => _length - _position;

    public override int Read(Span<byte> buffer)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var want = (int)Math.Min(buffer.Length, Remaining);
        var filled = 0;
        while (filled < want)
        {
            var n = ReadInner(buffer.Slice(filled, want - filled));
            if (n == 0)
            {
                throw EndedEarly();
            }

            filled += n;
        }

        _sha256.AppendData(buffer[..filled]);
        return Advance(filled);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancellationToken);
        var want = (int)Math.Min(buffer.Length, Remaining);
        var filled = 0;
        while (filled < want)
        {
            var n = await ReadInnerAsync(buffer.Slice(filled, want - filled), linked.Token).ConfigureAwait(false);
            if (n == 0)
            {
                throw EndedEarly();
            }

            filled += n;
        }

        _sha256.AppendData(buffer.Span[..filled]);
        return Advance(filled);
    }

    /// <summary>Lower-case hex SHA-256 of the bytes read; only once all <c>length</c> bytes are read.</summary>
    public string Sha256Hex()
    {
        if (Remaining != 0)
        {
            throw new InvalidOperationException($"{Remaining} bytes are still unread.");
        }

        return _sha256Hex ??= Convert.ToHexStringLower(_sha256.GetHashAndReset());
    }

    /// <summary>Fails with SIZE_MISMATCH if the source still has bytes after <c>length</c>.</summary>
    public async Task EnsureSourceExhaustedAsync(CancellationToken cancellationToken)
    {
        if (Remaining != 0)
        {
            throw EndedEarly();
        }

        var probe = new byte[1];
        if (await ReadInnerAsync(probe, cancellationToken).ConfigureAwait(false) != 0)
        {
            throw FerryException.Transient(ErrorCodes.SizeMismatch,
                $"The source has more than the {_length} bytes it reported; it may be growing. The transfer was stopped before delivery.");
        }
    }

    private int ReadInner(Span<byte> buffer)
    {
        try
        {
            return _inner.Read(buffer);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new SourceStreamException(ex);
        }
    }

    private async ValueTask<int> ReadInnerAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new SourceStreamException(ex);
        }
    }

    private int Advance(int n)
    {
        _position += n;
        return n;
    }

    private FerryException EndedEarly() =>
        FerryException.Transient(ErrorCodes.SizeMismatch,
            $"The source ended after {_position} of {_length} bytes; it may have been truncated or replaced during the transfer.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _sha256.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
