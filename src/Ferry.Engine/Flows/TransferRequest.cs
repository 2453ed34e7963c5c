using Ferry.Core.Connectors;
using Ferry.Core.Jobs;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>One side of a transfer: a connector and a path relative to its base.</summary>
public sealed record TransferLocation(IConnector Connector, string Path)
{
    public string Describe() => Connector.Describe(Path);
}

/// <summary>One file to move from <see cref="Source"/> to <see cref="Target"/>.</summary>
/// <param name="TransferId">
/// Unique per transfer (the job id in the engine). Names the temporary file of an atomic
/// delivery and the staged copy, so concurrent transfers to one target never collide.
/// </param>
/// <param name="Staging">Where SFTP-to-SFTP transfers stage the file; required for that flow.</param>
/// <param name="IsRetry">
/// An earlier attempt may have delivered the file before it was interrupted: an identical file
/// at the target counts as delivered (skipped, not written again), whatever the overwrite mode.
/// </param>
/// <param name="Hooks">Where the engine joins in: lease checks before a commit, state changes on delivery.</param>
/// <param name="DeliveredFor">The trigger the job was created by, recorded with the delivered file (<see cref="WriteOptions.DeliveredFor"/>).</param>
/// <param name="Resume">
/// Where an earlier attempt stopped. Used when the target can continue that write and the source
/// is still the version it was reading; otherwise its leftovers are discarded and the transfer starts over.
/// </param>
public sealed record TransferRequest(
    TransferLocation Source,
    TransferLocation Target,
    string TransferId,
    TransferPolicy? Policy = null,
    IConnector? Staging = null,
    Action<TransferProgress>? Progress = null,
    bool IsRetry = false,
    TransferHooks? Hooks = null,
    string? DeliveredFor = null,
    TransferCheckpoint? Resume = null)
{
    /// <summary>Runs the commit check, if any, right before the bytes become visible under the target name.</summary>
    internal Task BeforeCommitAsync(CancellationToken cancellationToken) =>
        Hooks?.BeforeCommit is { } check ? check(cancellationToken) : Task.CompletedTask;

    public TransferPolicy EffectivePolicy => Policy ?? TransferPolicy.Default;

    public string Flow => $"{Source.Connector.Scheme}-to-{Target.Connector.Scheme}";
}

/// <param name="BeforeCommit">
/// Called right before a delivery becomes visible (the rename of a part file, the start of a copy
/// or upload, and again before a multipart upload completes); throwing stops the transfer there. The engine
/// checks that it still holds the job's lease, so a worker that lost it never delivers.
/// </param>
/// <param name="Delivered">Called once the bytes are at the target, before a verification that has to ask the target (bytes, SHA-256); not when the write itself settled the checks.</param>
/// <param name="Checkpointed">
/// Called (quickly, on any thread) whenever more of the write became durable at the target, with
/// where a later attempt could continue; asking for checkpoints also keeps a failed write's
/// partial state for that attempt (<see cref="WriteOptions.Checkpointed"/>).
/// </param>
/// <param name="Resuming">Called before the transfer continues from <see cref="TransferRequest.Resume"/> (bytes kept, total).</param>
public sealed record TransferHooks(
    Func<CancellationToken, Task>? BeforeCommit = null,
    Func<long, string?, CancellationToken, Task>? Delivered = null,
    Action<TransferCheckpoint>? Checkpointed = null,
    Func<long, long, CancellationToken, Task>? Resuming = null);
