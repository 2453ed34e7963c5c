using Ferry.Core.Jobs;
using Ferry.Server.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Server.Api.Jobs;

internal sealed record BatchView(string BatchId, long Jobs, long Unfinished, IReadOnlyDictionary<string, long> ByStatus);

/// <summary>
/// GET /v1/batches/{id}: how far a transfer request (a batch of jobs) has got, in one small
/// answer — what a client polls instead of paging through a thousand jobs.
/// </summary>
internal static class BatchesApi
{
    public static void Map(IEndpointRouteBuilder app) => app.MapCustomerGroup("/v1/batches").MapGet("/{batchId}", GetAsync);

    private static async Task<IResult> GetAsync(string batchId, HttpContext http, IJobStore jobs, CancellationToken ct)
    {
        var counts = await jobs.CountBatchAsync(Caller.CustomerOf(http), batchId, ct).ConfigureAwait(false);
        if (counts.Count == 0)
        {
            return Problems.NotFound($"Batch {batchId}");
        }

        var byStatus = counts.GroupBy(c => c.Status).OrderBy(g => g.Key).ToDictionary(g => JobView.StatusName(g.Key), g => g.Sum(c => c.Count));
        return Results.Ok(new BatchView(batchId, counts.Sum(c => c.Count), counts.Where(c => !JobStateMachine.IsTerminal(c.Status)).Sum(c => c.Count), byStatus));
    }
}
