using Microsoft.Extensions.Logging;

namespace Ferry.Engine.Jobs;

/// <summary>
/// Store writes that follow a job's recorded outcome - its audit entry, its concurrency slots given
/// back - and that no worker needs to wait for: the worker takes its next job while they commit.
/// Each is started only after the outcome is durable, so none can record what did not happen. On
/// SQLite the next job's writes queue behind them in the one writer, so a slot given back is free
/// for the next claim; the engine looks for work again once they are done, for stores without that
/// order. On the small-files benchmark they were two of the six commits a job waited for in turn.
/// </summary>
/// <remarks>Added to and waited for by the job's own flow, one step after another: no locking.</remarks>
internal sealed class TrailingWrites(ILogger logger, string jobId)
{
    private readonly List<(Task Write, string What)> _writes = [];

    public void Add(Task write, string what) => _writes.Add((write, what));

    /// <summary>Waits for every write; a failed one is logged (the outcome it follows stands).</summary>
    public async Task WhenDoneAsync()
    {
        foreach (var (write, what) in _writes)
        {
            try
            {
                await write.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Job {JobId}: {What} could not be written", jobId, what);
            }
        }
    }
}
