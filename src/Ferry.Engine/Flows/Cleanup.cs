using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Engine.Flows;

/// <summary>Best-effort removal of temporary files (part files, staged copies) after a failure or a delivery.</summary>
internal static class Cleanup
{
    /// <summary>
    /// Deletes <paramref name="path"/>, giving up after 30 seconds. Failures are noted, not thrown:
    /// the connection may be the thing that failed, and a leftover part file never shadows a target.
    /// </summary>
    public static async Task DeleteQuietlyAsync(IConnector connector, string path, List<string>? notes = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await connector.DeleteAsync(path, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FerryException or OperationCanceledException)
        {
            notes?.Add($"{connector.Describe(path)} could not be removed: {ex.Message}");
        }
    }
}
