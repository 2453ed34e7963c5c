using Ferry.Core.Jobs;
using Ferry.Server.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Jobs;

internal sealed record BatchView(string BatchId, long Jobs, long Unfinished, IReadOnlyDictionary<string, long> ByStatus);

/// <summary>
/// GET /v1/batches/{id}: how far a transfer request (a batch of jobs) has got, in one small
/// answer — what a client polls instead of paging through a thousand jobs. With
/// `wait_seconds=N` the answer is held until nothing is unfinished or N seconds have passed
/// (long polling), so a client waiting for a batch makes one request instead of many.
/// </summary>
internal static class BatchesApi
{
    public const int MaxWaitSeconds = 60;
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(100);

    public static void Map(IEndpointRouteBuilder app) => app.MapCustomerGroup("/v1/batches").MapGet("/{batchId}", GetAsync);

    private static async Task<IResult> GetAsync(string batchId, int? wait_seconds, HttpContext http, IJobStore jobs, TimeProvider time, CancellationToken ct)
    {
        if (wait_seconds is < 0 or > MaxWaitSeconds)
        {
            return Problems.Field("wait_seconds", $"must be between 0 and {MaxWaitSeconds}");
        }

        var customerId = Caller.CustomerOf(http);
        var deadline = time.GetUtcNow().AddSeconds(wait_seconds ?? 0);
        var counts = await jobs.CountBatchAsync(customerId, batchId, ct).ConfigureAwait(false);
        while (counts.Count > 0 && Unfinished(counts) > 0 && time.GetUtcNow() < deadline)
        {
            await Task.Delay(CheckEvery, time, ct).ConfigureAwait(false);
            counts = await jobs.CountBatchAsync(customerId, batchId, ct).ConfigureAwait(false);
        }

        if (counts.Count == 0)
        {
            return Problems.NotFound($"Batch {batchId}");
        }

        var byStatus = counts.GroupBy(c => c.Status).OrderBy(g => g.Key).ToDictionary(g => JobView.StatusName(g.Key), g => g.Sum(c => c.Count));
        return Results.Ok(new BatchView(batchId, counts.Sum(c => c.Count), Unfinished(counts), byStatus));
    }

    private static long Unfinished(IReadOnlyList<JobCount> counts) => counts.Where(c => !JobStateMachine.IsTerminal(c.Status)).Sum(c => c.Count);
}
