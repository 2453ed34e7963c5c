using System.Globalization;

namespace Ferry.Cli.Remote;

/// <summary>
/// Waits for a batch (a transfer request's jobs) to finish by long-polling
/// <c>GET /v1/batches/{id}?wait_seconds=N</c>: one request per <see cref="PollSeconds"/> at most,
/// however long the transfers take. Each change in the counts is reported as one line.
/// </summary>
internal static class BatchWait
{
    /// <summary>The longest the server holds an answer is 60 s; a shorter poll reports progress more often.</summary>
    private const int PollSeconds = 10;

    /// <summary>
    /// The batch once nothing in it is unfinished, or as it stands when <paramref name="timeout"/>
    /// has passed (then with jobs unfinished).
    /// </summary>
    public static async Task<BatchDto> UntilFinishedAsync(FerryApi api, string batchId, TimeSpan? timeout, Action<string> report, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? DateTimeOffset.UtcNow + t : DateTimeOffset.MaxValue;
        string? last = null;
        while (true)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            var wait = (int)Math.Clamp(Math.Ceiling(left.TotalSeconds), 0, PollSeconds);
            var batch = (await api.GetAsync($"v1/batches/{RemoteCommand.Escape(batchId)}?wait_seconds={wait}", RemoteJson.Default.BatchDto, cancellationToken)).Value;
            var line = Describe(batch);
            if (line != last)
            {
                report(line);
                last = line;
            }

            if (batch.Unfinished == 0 || DateTimeOffset.UtcNow >= deadline)
            {
                return batch;
            }
        }
    }

    public static string Describe(BatchDto b) =>
        string.Create(CultureInfo.InvariantCulture, $"batch {b.BatchId}: {b.Jobs - b.Unfinished} of {b.Jobs} finished {Counts(b.ByStatus)}");

    /// <summary>"(SUCCEEDED 3, RUNNING 1)": finished states first, then the ones on the way.</summary>
    public static string Counts(IEnumerable<KeyValuePair<string, long>> byStatus) =>
        "(" + string.Join(", ", byStatus.OrderBy(s => Order(s.Key)).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value}"))) + ")";

    private static int Order(string status) => Array.IndexOf(["SUCCEEDED", "FAILED", "CANCELLED", "VERIFYING", "RUNNING", "QUEUED", "RECEIVED"], status);
}
