using System.Text.Json;
using Ferry.Core.Json;
using Ferry.Core.Transfers;

namespace Ferry.Core.Jobs;

/// <summary>A job's policy as stored with it: what the data plane does, and how failures are retried.</summary>
public sealed record JobPolicy
{
    public OverwriteMode Overwrite { get; init; } = OverwriteMode.Overwrite;
    public VerifyMode Verify { get; init; } = VerifyMode.Checksum;
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>Done to the source after the delivery is verified and before the job is SUCCEEDED.</summary>
    public SourceAction AfterSuccess { get; init; } = SourceAction.None;

    public TransferPolicy Transfer => new(Overwrite, Verify);

    public string ToJson() => JsonSerializer.Serialize(this, CoreJsonContext.Default.JobPolicy);

    public static JobPolicy FromJson(string? json) => json is null ? new() : JsonSerializer.Deserialize(json, CoreJsonContext.Default.JobPolicy) ?? new();
}

/// <summary>
/// Retries for transient errors only: <see cref="MaxAttempts"/> tries in all, waiting an
/// exponentially growing, jittered delay between them ("full jitter": a random delay up to the
/// exponential bound, so many jobs failing together do not retry together).
/// </summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan Backoff(int attempt, Random random)
    {
        var bound = Math.Min(MaxBackoff.TotalMilliseconds, InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        // At least half the bound: retrying at once against a partner that just failed helps nobody.
        return TimeSpan.FromMilliseconds(bound / 2 + (random.NextDouble() * bound / 2));
    }
}
