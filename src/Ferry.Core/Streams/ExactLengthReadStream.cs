using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Core.Streams;

/// <summary>
/// A read-only view of a source that must yield exactly <c>length</c> bytes. Every read fills
/// the caller's buffer unless the end is reached (SSH.NET sends one SFTP write per read, so
/// short reads would mean small packets), a source that ends early fails with SIZE_MISMATCH,
/// and bytes beyond <c>length</c> are detected by <see cref="EnsureSourceExhaustedAsync"/>.
/// Cancellation is checked on every read, which is how a synchronous consumer (SSH.NET's
/// pipelined UploadFile) is stopped. Every byte read is hashed, so a write knows the SHA-256 of
/// exactly what it sent without a second pass, unless the source hashed them already
/// (<see cref="IHashedSource"/>, see <see cref="ForWrite"/>). A write that resumes from a
/// checkpoint starts at its offset, with the hash state saved there (<see cref="Resuming"/>).
/// </summary>
public sealed class ExactLengthReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly long _length;
    private readonly CancellationToken _cancellationToken;
    private readonly Sha256Hasher? _sha256;
    private readonly IHashedSource? _hashedSource;
    private long _position;
    private string? _sha256Hex;

    public ExactLengthReadStream(Stream inner, long length, CancellationToken cancellationToken)
        : this(inner, length, 0, Sha256Hasher.Create(), cancellationToken)
    {
    }

    private ExactLengthReadStream(Stream inner, long length, long offset, Sha256Hasher? hashed, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        _inner = inner;
        _length = length;
        _position = offset;
        _sha256 = hashed;
        _hashedSource = hashed is null ? (IHashedSource)inner : null;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// The content of a write with <paramref name="options"/>: continued from
    /// <see cref="WriteOptions.ResumeFrom"/> when it has an offset; otherwise from the start, and
    /// not hashed a second time when <paramref name="content"/> is an <see cref="IHashedSource"/>:
    /// the SHA-256 and the hash states for checkpoints then come from the source
    /// (<see cref="SaveSha256State"/> only at positions the source kept a state for).
    /// </summary>
    public static ExactLengthReadStream ForWrite(Stream content, long length, WriteOptions options, CancellationToken cancellationToken) =>
        options switch
        {
            { ResumeFrom: { Offset: > 0 } resume } => Resuming(content, length, resume.Offset, resume.Sha256State, cancellationToken),
            { ResumeFrom: null } when content is IHashedSource => new(content, length, 0, null, cancellationToken),
            _ => new(content, length, cancellationToken),
        };

    /// <summary>
    /// The rest of a source of <paramref name="length"/> bytes whose first <paramref name="offset"/>
    /// bytes were read by an earlier attempt: <paramref name="inner"/> yields the bytes from
    /// <paramref name="offset"/> on, and <paramref name="sha256State"/> is the hash state saved
    /// after them (<see cref="SaveSha256State"/>). <see cref="Stream.Position"/> starts at the offset.
    /// </summary>
    public static ExactLengthReadStream Resuming(Stream inner, long length, long offset, string sha256State, CancellationToken cancellationToken) =>
        new(inner, length, offset, Sha256Hasher.Restore(sha256State, offset), cancellationToken);

    /// <summary>The SHA-256 state after the bytes read so far, for <see cref="Resuming"/>; see <see cref="Sha256Hasher.CanSaveState"/>.</summary>
    public string SaveSha256State() =>
        _sha256?.SaveState()
        ?? _hashedSource!.Sha256StateAt(_position)
        ?? throw new InvalidOperationException(
            $"This stream takes its SHA-256 from its source, which kept no hash state at byte {_position} (only at multiples of {StreamFanOut.SnapshotInterval} bytes, recently passed).");

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

        _sha256?.Append(buffer[..filled]);
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

        _sha256?.Append(buffer.Span[..filled]);
        return Advance(filled);
    }

    /// <summary>Lower-case hex SHA-256 of the bytes read; only once all <c>length</c> bytes are read.</summary>
    public string Sha256Hex()
    {
        if (Remaining != 0)
        {
            throw new InvalidOperationException($"{Remaining} bytes are still unread.");
        }

        if (_sha256 is null)
        {
            return _hashedSource!.Sha256Hex
                ?? throw new InvalidOperationException("The source's end has not been read yet (EnsureSourceExhaustedAsync reads it).");
        }

        return _sha256Hex ??= Convert.ToHexStringLower(_sha256.Finish());
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
            _sha256?.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _sha256?.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
