using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>
/// SFTP to SFTP in two legs through a staging area: source to staging, then staging to the
/// target with atomic delivery. The second leg carries the SHA-256 of the first, so the file
/// the target receives is proven to be the file the source served. Decoupling the two servers
/// means a failed delivery can be re-driven from staging without reading the partner's server
/// again (the engine's re-drive uses <see cref="StagedPath"/>).
/// </summary>
internal static class StagedFlow
{
    public static async Task<WriteResult> RunAsync(TransferRequest request, RemoteEntry source, ProgressMeter meter, List<string> notes, CancellationToken cancellationToken)
    {
        var staging = request.Staging ?? throw FerryException.Permanent(ErrorCodes.InvalidConfiguration, "SFTP to SFTP needs a staging area");
        var staged = new TransferLocation(staging, StagedPath(request.TransferId, request.Source.Path));

        meter.BeginStage("stage");
        var first = await StreamingFlow.RunAsync(request.Source, staged, source, request, meter, notes, cancellationToken).ConfigureAwait(false);
        var stagedEntry = await staging.StatAsync(staged.Path, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.Transient(ErrorCodes.NotFound, $"{staged.Describe()} vanished right after staging");
        stagedEntry = stagedEntry with { Sha256 = first.Sha256 };

        meter.BeginStage("deliver");
        var second = await StreamingFlow.RunAsync(staged, request.Target, stagedEntry, request with { Policy = request.EffectivePolicy }, meter, notes, cancellationToken)
            .ConfigureAwait(false);

        // Crash before this delete leaves a staged copy behind; staging cleanup removes it later.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await staging.DeleteAsync(staged.Path, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FerryException or OperationCanceledException)
        {
            notes.Add($"The staged copy {staging.Describe(staged.Path)} could not be removed: {ex.Message}");
        }

        return second;
    }

    /// <summary>Where a transfer's file is staged: "&lt;transfer id&gt;/&lt;file name&gt;".</summary>
    public static string StagedPath(string transferId, string sourcePath) => $"{transferId}/{RemotePath.FileName(RemotePath.Normalize(sourcePath))}";
}
