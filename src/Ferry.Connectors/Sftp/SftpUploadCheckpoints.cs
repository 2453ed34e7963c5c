using Ferry.Core.Connectors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Checkpoints for an SFTP upload. Reading runs ahead of the server (many writes are in flight),
/// so the SHA-256 state is saved each time reading passes another <see cref="Interval"/>, and a
/// checkpoint is reported once the server has acknowledged writing everything up to one of those
/// points. Never at the file's end: a resume always has bytes left to read. A new write reports
/// offset 0 at once, so the caller knows of the part file even if nothing else is confirmed.
/// </summary>
internal sealed class SftpUploadCheckpoints : ReadOnlyStream
{
    public const long Interval = 8L * 1024 * 1024;

    private readonly ExactLengthReadStream _source;
    private readonly string _path;
    private readonly Action<WriteCheckpoint> _report;
    private readonly Queue<(long Offset, string State)> _marks = new();
    private readonly Lock _lock = new();
    private long _nextMark;

    public SftpUploadCheckpoints(ExactLengthReadStream source, string path, Action<WriteCheckpoint> report)
    {
        _source = source;
        _path = path;
        _report = report;
        _nextMark = ((source.Position / Interval) + 1) * Interval;
        if (source.Position == 0)
        {
            // The part file exists from now on: whoever gives up on the transfer must be able to remove it.
            report(new WriteCheckpoint(path, 0, source.SaveSha256State(), Store: ""));
        }
    }

    public override int Read(Span<byte> buffer) => Passed(_source.Read(buffer[..ToMark(buffer.Length)]));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Passed(await _source.ReadAsync(buffer[..ToMark(buffer.Length)], cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// A read stops at the next mark, so the hash state is taken exactly there: a source that
    /// hashed the bytes already (<see cref="IHashedSource"/>) keeps its states only at such
    /// round positions. The writer's read-ahead fills its buffers with the next read.
    /// </summary>
    private int ToMark(int wanted) =>
        _source.Position < _nextMark ? (int)Math.Min(wanted, _nextMark - _source.Position) : wanted;

    /// <summary>The server confirmed every write up to <paramref name="offset"/> (SSH.NET's upload callback; its receive thread).</summary>
    public void Acknowledged(long offset)
    {
        (long Offset, string State)? latest = null;
        lock (_lock)
        {
            while (_marks.Count > 0 && _marks.Peek().Offset <= offset)
            {
                latest = _marks.Dequeue();
            }
        }

        if (latest is { } mark)
        {
            _report(new WriteCheckpoint(_path, mark.Offset, mark.State, Store: ""));
        }
    }

    private int Passed(int read)
    {
        var position = _source.Position;
        if (position >= _nextMark && _source.Remaining > 0)
        {
            var state = _source.SaveSha256State();
            lock (_lock)
            {
                _marks.Enqueue((position, state));
            }

            _nextMark += Interval;
        }

        return read;
    }
}
