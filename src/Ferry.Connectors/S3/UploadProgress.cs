using Ferry.Core.Connectors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.S3;

/// <summary>
/// Turns finished parts into checkpoints. Parts finish out of order, but a checkpoint can only
/// name a leading run of them (the SHA-256 continues from one offset), so this keeps the hash
/// state saved after each part was read and reports a new checkpoint whenever the leading run of
/// uploaded parts grows. The last part is never in one: a resume always has bytes left to read.
/// </summary>
internal sealed class UploadProgress
{
    private readonly Action<WriteCheckpoint> _report;
    private readonly string _path;
    private readonly string _uploadId;
    private readonly MultipartPlan _plan;
    private readonly ExactLengthReadStream _source;
    private readonly Dictionary<int, string> _stateAfterPart = [];
    private readonly Dictionary<int, string> _uploadedETags = [];
    private readonly MultipartCheckpoint.ETagDigest _digest = new();
    private readonly Lock _lock = new();
    private int _leadingParts;

    /// <param name="kept">The parts an earlier attempt uploaded, when this one continues it.</param>
    public UploadProgress(Action<WriteCheckpoint> report, string path, string uploadId, MultipartPlan plan, MultipartResume.Kept? kept, ExactLengthReadStream source)
    {
        _report = report;
        _path = path;
        _uploadId = uploadId;
        _plan = plan;
        _source = source;
        foreach (var etag in kept?.ETags ?? [])
        {
            _digest.Add(etag);
        }

        _leadingParts = kept?.ETags.Count ?? 0;
        if (kept is null)
        {
            // The upload exists from now on: whoever gives up on it must be able to abort it.
            Report(source.SaveSha256State());
        }
    }

    /// <summary>Part <paramref name="part"/> has just been read from the source (on the one reading thread).</summary>
    public void Read(int part)
    {
        if (part >= _plan.PartCount)
        {
            return;
        }

        var state = _source.SaveSha256State();
        lock (_lock)
        {
            _stateAfterPart[part] = state;
        }
    }

    /// <summary>Part <paramref name="part"/> is stored (any thread).</summary>
    public void Uploaded(int part, string etag)
    {
        lock (_lock)
        {
            _uploadedETags[part] = etag;
            var before = _leadingParts;
            while (_leadingParts + 1 < _plan.PartCount && _uploadedETags.Remove(_leadingParts + 1, out var next))
            {
                _digest.Add(next);
                _leadingParts++;
            }

            if (_leadingParts == before)
            {
                return;
            }

            var state = _stateAfterPart[_leadingParts];
            for (var p = before + 1; p <= _leadingParts; p++)
            {
                _stateAfterPart.Remove(p);
            }

            Report(state);
        }
    }

    private void Report(string sha256State)
    {
        var store = new MultipartCheckpoint(_uploadId, _plan.PartSize, _leadingParts, _digest.Current()).Serialize();
        _report(new WriteCheckpoint(_path, _leadingParts * _plan.PartSize, sha256State, store));
    }
}
