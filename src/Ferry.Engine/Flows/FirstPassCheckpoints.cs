using Ferry.Core.Connectors;
using Ferry.Core.Jobs;
using Ferry.Core.Streams;

namespace Ferry.Engine.Flows;

/// <summary>
/// The checkpoints of the staged flow's first pass, where one read of the source feeds the staging
/// copy and the target's part file: each write reports its own, and the two are saved together
/// (<see cref="TransferCheckpoint.Staging"/> and <see cref="TransferCheckpoint.Write"/>). The next
/// attempt continues both, reading the source from the lower offset; the write further along skips
/// what it already holds.
/// </summary>
internal sealed class FirstPassCheckpoints
{
    private readonly Lock _lock = new();
    private readonly SourceVersion _source;
    private readonly Action<TransferCheckpoint> _save;
    private WriteCheckpoint? _staging;
    private WriteCheckpoint? _delivery;

    private FirstPassCheckpoints(SourceVersion source, Action<TransferCheckpoint> save, WriteCheckpoint? stagingResume, WriteCheckpoint? deliveryResume)
    {
        (_source, _save) = (source, save);
        (StagingResume, DeliveryResume) = (_staging, _delivery) = (stagingResume, deliveryResume);
    }

    /// <summary>Where the staging write continues from (null: from the start).</summary>
    public WriteCheckpoint? StagingResume { get; }

    /// <summary>Where the target's part file continues from (null: from the start).</summary>
    public WriteCheckpoint? DeliveryResume { get; }

    /// <summary>Where the source is read from: the lower of the two offsets.</summary>
    public long Start => Math.Min(StagingResume?.Offset ?? 0, DeliveryResume?.Offset ?? 0);

    /// <summary>
    /// Checkpoints for a first pass, and where it continues from: the request's checkpoint where
    /// it is for this source version and the stores still hold what it describes; what cannot be
    /// used is discarded. Null when no checkpoints are taken (the caller wants none, or one side
    /// cannot continue a write): the pass then starts over and cleans up after itself on failure.
    /// </summary>
    public static async Task<FirstPassCheckpoints?> StartAsync(
        TransferRequest request, RemoteEntry source, TransferLocation staging, TransferLocation part, CancellationToken cancellationToken)
    {
        if (request.Hooks?.Checkpointed is not { } save || !Sha256Hasher.CanSaveState
            || staging.Connector.GetCapability<IResumableWrites>() is not { } stagingWrites
            || part.Connector.GetCapability<IResumableWrites>() is not { } targetWrites)
        {
            return null;
        }

        var saved = request.Resume;
        var current = saved is not null && saved.Source.Matches(source);
        var stagingResume = await UsableAsync(stagingWrites, current ? saved!.Staging : null, saved?.Staging, staging.Path, source.Size, cancellationToken).ConfigureAwait(false);
        var deliveryResume = await UsableAsync(targetWrites, current ? saved!.Write : null, saved?.Write, part.Path, source.Size, cancellationToken).ConfigureAwait(false);
        return new FirstPassCheckpoints(SourceVersion.Of(source), save, stagingResume, deliveryResume);
    }

    /// <summary>The staging write reported a checkpoint.</summary>
    public void Staged(WriteCheckpoint checkpoint)
    {
        lock (_lock)
        {
            _staging = checkpoint;
            Save();
        }
    }

    /// <summary>The target's part file reported a checkpoint.</summary>
    public void Delivered(WriteCheckpoint checkpoint)
    {
        lock (_lock)
        {
            _delivery = checkpoint;
            Save();
        }
    }

    /// <summary>Under the lock, so a pair saved later is never older than one saved before it.</summary>
    private void Save()
    {
        if (_staging is { } staging && _delivery is { } delivery)
        {
            _save(new TransferCheckpoint(_source, delivery, staging));
        }
    }

    /// <summary><paramref name="candidate"/> if it can be continued at <paramref name="path"/>; otherwise null, and <paramref name="saved"/> is discarded.</summary>
    private static async Task<WriteCheckpoint?> UsableAsync(
        IResumableWrites writes, WriteCheckpoint? candidate, WriteCheckpoint? saved, string path, long length, CancellationToken cancellationToken)
    {
        if (candidate is { Offset: > 0 } && candidate.Path == path && await writes.CanResumeAsync(candidate, length, cancellationToken).ConfigureAwait(false))
        {
            return candidate;
        }

        if (saved is not null)
        {
            await Cleanup.DiscardQuietlyAsync(writes, saved).ConfigureAwait(false);
        }

        return null;
    }
}
