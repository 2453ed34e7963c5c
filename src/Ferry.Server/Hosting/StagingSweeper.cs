using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Hosting;

/// <summary>
/// The staging area's lifecycle: each job stages under its own directory ("&lt;job id&gt;/&lt;name&gt;");
/// delivered copies are deleted by the flow at once (their directory with them: the staging area is a
/// <see cref="Ferry.Connectors.Local.LocalConnector.ForStaging"/>), and what failed jobs leave for a re-drive is
/// removed here once nothing in the directory changed for <see cref="FerryOptions.StagingRetentionDays"/>.
/// Runs at start and then hourly.
/// </summary>
internal sealed class StagingSweeper(DataDirectory data, FerryOptions options, ILogger<StagingSweeper> logger, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            Sweep();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Removes job directories whose newest entry is older than the retention; returns how many.</summary>
    public int Sweep()
    {
        var cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(options.StagingRetentionDays);
        var removed = 0;
        foreach (var dir in new DirectoryInfo(data.Staging).EnumerateDirectories())
        {
            try
            {
                var newest = dir.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(f => f.LastWriteTimeUtc).Append(dir.LastWriteTimeUtc).Max();
                if (newest < cutoff)
                {
                    dir.Delete(recursive: true);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Staging sweep could not remove {Directory}: {Message}", dir.Name, ex.Message);
            }
        }

        if (removed > 0)
        {
            logger.LogInformation("Staging sweep removed {Count} staged copies older than {Days} days", removed, options.StagingRetentionDays);
        }

        return removed;
    }
}
