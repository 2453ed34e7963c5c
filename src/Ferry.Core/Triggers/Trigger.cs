using Ferry.Core.Jobs;

namespace Ferry.Core.Triggers;

/// <summary>ACTIVE triggers turn events into jobs; PAUSED ones answer events with "ignored" and keep their settings.</summary>
public enum TriggerStatus
{
    Active,
    Paused,
}

/// <summary>
/// A standing push rule: when an object is created on the S3 source endpoint under
/// <see cref="Prefix"/> (and ending in <see cref="Suffix"/>), send it to the target. Events reach
/// it through <c>POST /v1/events/s3</c> (HTTP notifications, SNS) or an SQS queue; an optional
/// <see cref="ReconcileEvery"/> lists the prefix now and then to catch events that were lost.
/// </summary>
public sealed record Trigger
{
    public required string TriggerId { get; init; }
    public required string CustomerId { get; init; }
    public required string Name { get; init; }
    public TriggerStatus Status { get; init; } = TriggerStatus.Active;

    /// <summary>An S3 endpoint: its bucket is what events are matched on.</summary>
    public required string SourceEndpointId { get; init; }

    /// <summary>Relative to the source endpoint's prefix; "" takes every key under it.</summary>
    public string Prefix { get; init; } = "";

    public string Suffix { get; init; } = "";

    public required string TargetEndpointId { get; init; }

    /// <summary>A <see cref="Schedules.PathTemplate"/>; {path} is the key relative to <see cref="Prefix"/>.</summary>
    public required string TargetPath { get; init; }

    public required string PolicyJson { get; init; }

    public SourceAction AfterSuccess { get; init; } = SourceAction.None;

    /// <summary>
    /// An SQS queue the bucket's notifications go to (AWS deployments); Ferry long-polls it with the
    /// source endpoint's credentials and deletes each message once its jobs are created. Null: events
    /// come only through the intake URL.
    /// </summary>
    public string? SqsQueueUrl { get; init; }

    /// <summary>How often the prefix is listed to catch lost events; null never.</summary>
    public TimeSpan? ReconcileEvery { get; init; }

    /// <summary>SHA-256 (hex) of the intake token that authenticates events sent to this trigger's URL.</summary>
    public required string IntakeTokenSha256 { get; init; }

    public long Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public const string IdPrefix = "trg_";

    /// <summary>True when the trigger takes the object at <paramref name="path"/> (relative to the source endpoint's prefix).</summary>
    public bool Takes(string path) =>
        !path.EndsWith('/') && path.StartsWith(Prefix, StringComparison.Ordinal) && path.EndsWith(Suffix, StringComparison.Ordinal);

    /// <summary>The directory part of a prefix ("in/2026" gives "in"): what {path} in templates is relative to.</summary>
    public static string RootOf(string prefix)
    {
        var slash = prefix.LastIndexOf('/');
        return slash < 0 ? "" : prefix[..slash];
    }

    /// <summary>Jobs a trigger creates carry its id as their batch id: the batch endpoint shows its progress.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string BatchId => TriggerId;

    /// <summary>The trigger that created a job with this batch id, if a trigger did.</summary>
    public static string? OfBatch(string? batchId) => batchId is not null && batchId.StartsWith(IdPrefix, StringComparison.Ordinal) ? batchId : null;
}
