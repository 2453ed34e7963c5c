namespace Ferry.Core.Jobs;

/// <summary>
/// One file to move, as the store keeps it (the seed's §8.6 fields plus bytes, checksum, batch,
/// re-drive link, checkpoint and lease). Immutable: changes are planned by
/// <see cref="JobStateMachine"/> as a <see cref="JobTransition"/> and applied by the store.
/// </summary>
public sealed record TransferJob
{
    public required string JobId { get; init; }
    public required string CustomerId { get; init; }
    public required string FlowType { get; init; }
    public required string SourceEndpointId { get; init; }
    public required string SourcePath { get; init; }
    public required string TargetEndpointId { get; init; }
    public required string TargetPath { get; init; }

    /// <summary>customer + source endpoint + target endpoint: the unit a region owns (multi-region leases).</summary>
    public string PartitionId => $"{CustomerId}/{SourceEndpointId}/{TargetEndpointId}";

    /// <summary>Unique per customer; creating a second job with the same key returns the first.</summary>
    public required string IdempotencyKey { get; init; }

    public JobStatus Status { get; init; } = JobStatus.Received;
    public int Attempts { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When a QUEUED job (or a retry waiting in RUNNING) may next be picked up.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    public string? ExecutionRegion { get; init; }
    public long? Bytes { get; init; }
    public string? Sha256 { get; init; }
    public string? BatchId { get; init; }
    public string? RedriveOf { get; init; }

    /// <summary>
    /// W3C traceparent of the traced request that created the job (null when nothing traced it):
    /// its attempts' spans link to it, so a trace shows what a request set off, hours later too.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>Opaque resume state of the data plane (multipart upload id and parts, bytes in a .part file).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Serialized transfer policy (overwrite, verification, retries).</summary>
    public string? PolicyJson { get; init; }

    /// <summary>The worker holding the lease, when RUNNING or VERIFYING.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Fencing epoch: grows with every claim, so a worker that lost its lease cannot write.</summary>
    public long LeaseToken { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Grows with every write; every write is conditional on the version it read.</summary>
    public long Version { get; init; }

    public bool IsTerminal => JobStateMachine.IsTerminal(Status);
}
