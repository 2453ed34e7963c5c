using Ferry.Core.Connectors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.S3;

/// <summary>
/// Multipart uploads that outlive a failed attempt and are continued by the next
/// (<see cref="IResumableWrites"/>): see <see cref="S3MultipartWriter"/>, <see cref="UploadProgress"/>
/// and <see cref="MultipartResume"/>. Single-PUT objects are small enough to send again.
/// </summary>
public sealed partial class S3Connector : IResumableWrites
{
    public async Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken)
    {
        if (length <= _options.SinglePutMax || !Sha256Hasher.CanSaveState)
        {
            return false;
        }

        try
        {
            Sha256Hasher.Restore(checkpoint.Sha256State, checkpoint.Offset).Dispose();
        }
        catch (FormatException)
        {
            return false;
        }

        var where = Describe(checkpoint.Path);
        return await _multipart.CanResumeAsync(_keys.ObjectKey(checkpoint.Path, where), checkpoint, length, where, cancellationToken).ConfigureAwait(false);
    }

    public Task DiscardAsync(WriteCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var where = Describe(checkpoint.Path);
        return _multipart.DiscardAsync(_keys.ObjectKey(checkpoint.Path, where), checkpoint, where, cancellationToken);
    }
}
