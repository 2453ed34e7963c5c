using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;

namespace Ferry.Engine.Flows;

/// <summary>
/// Deletes or archives a source file after its delivery was verified. Safe to run again (a
/// worker may die between the action and the SUCCEEDED write): a source already gone, or already
/// in the archive, counts as done. Touches the source only while it is still the version that was
/// sent, so a file a partner rewrote in the meantime is left for the next run to pick up.
/// </summary>
/// <remarks>
/// A stat and then a delete would leave a gap: a partner replacing the file between the two
/// (write a temporary file, rename it over the old one) would lose the new version. Where the
/// source renames atomically (SFTP, local), the file is first renamed out of the partner's way
/// (to "&lt;name&gt;.&lt;job id&gt;.deleting.part", which listings ignore, or to the archive path) and
/// checked there: only the version that was sent is deleted or stays archived; anything else goes
/// back under its name. Other sources (S3) keep the gap: RGW 16 has no conditional delete.
/// </remarks>
internal static class SourcePostAction
{
    /// <summary>Runs <paramref name="action"/>; returns what was done, for the job's history.</summary>
    public static async Task<string> RunAsync(TransferLocation source, SourceAction action, SourceVersion sent, string jobId, CancellationToken cancellationToken)
    {
        var connector = source.Connector;
        var rename = connector.GetCapability<IAtomicRename>();
        var holding = HoldingPath(source.Path, jobId);
        if (action.Kind == SourceActionKind.Delete && rename is not null
            && await connector.StatAsync(holding, cancellationToken).ConfigureAwait(false) is { } held)
        {
            // An earlier attempt of this job moved the file aside and stopped before finishing.
            return await SettleAsync(source, rename, holding, sent.Matches(held), "deleted", cancellationToken).ConfigureAwait(false);
        }

        var current = await connector.StatAsync(source.Path, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return action.Kind == SourceActionKind.Move
                && await connector.StatAsync(action.ArchivePath!, cancellationToken).ConfigureAwait(false) is { } archived && archived.Size == sent.Size
                ? $"source already moved to {connector.Describe(action.ArchivePath!)}"
                : "source already gone; nothing to " + (action.Kind == SourceActionKind.Move ? "move" : "delete");
        }

        if (current.IsDirectory || !sent.Matches(current))
        {
            return Changed(source, current);
        }

        switch (action.Kind)
        {
            case SourceActionKind.Delete when rename is not null:
                await rename.RenameAtomicAsync(source.Path, holding, replaceExisting: false, cancellationToken).ConfigureAwait(false);
                return await SettleAsync(source, rename, holding, await IsSentAsync(connector, holding, sent, cancellationToken).ConfigureAwait(false),
                    "deleted", cancellationToken).ConfigureAwait(false);
            case SourceActionKind.Delete:
                await connector.DeleteAsync(source.Path, cancellationToken).ConfigureAwait(false);
                return $"source deleted: {source.Describe()}";
            case SourceActionKind.Move:
                await connector.RenameAsync(source.Path, action.ArchivePath!, cancellationToken).ConfigureAwait(false);
                if (rename is not null && !await IsSentAsync(connector, action.ArchivePath!, sent, cancellationToken).ConfigureAwait(false))
                {
                    return await SettleAsync(source, rename, action.ArchivePath!, isSent: false, "moved", cancellationToken).ConfigureAwait(false);
                }

                return $"source moved to {connector.Describe(action.ArchivePath!)}";
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "no post-action to run");
        }
    }

    /// <summary>Where a source being deleted is held meanwhile: "dir/report.csv" for job j1 gives "dir/report.csv.j1.deleting.part".</summary>
    public static string HoldingPath(string sourcePath, string jobId) => $"{StreamingFlow.PartPath(sourcePath, jobId)[..^".part".Length]}.deleting.part";

    /// <summary>The error a job fails with when the post-action cannot be done: the delivery itself stands.</summary>
    public static FerryException Failed(FerryException cause, SourceAction action, TransferLocation source, long bytes, string? sha256) =>
        new(cause.Kind, ErrorCodes.PostActionFailed,
            $"the file was delivered and verified ({bytes} bytes{(sha256 is null ? "" : ", SHA-256 " + sha256)}), but {source.Describe()} could not be "
            + (action.Kind == SourceActionKind.Move ? $"moved to {action.ArchivePath}" : "deleted") + $": {cause.Code}: {cause.Message}", cause);

    private static async Task<bool> IsSentAsync(IConnector connector, string path, SourceVersion sent, CancellationToken cancellationToken) =>
        await connector.StatAsync(path, cancellationToken).ConfigureAwait(false) is { IsDirectory: false } entry && sent.Matches(entry);

    /// <summary>
    /// The file now at <paramref name="moved"/> was taken from the source's name: deleted if it is
    /// the version sent (when deleting), otherwise put back under its name; if a newer file has
    /// taken the name meanwhile, it stays where it is and the history says where.
    /// </summary>
    private static async Task<string> SettleAsync(TransferLocation source, IAtomicRename rename, string moved, bool isSent, string verb, CancellationToken cancellationToken)
    {
        var connector = source.Connector;
        if (isSent)
        {
            await connector.DeleteAsync(moved, cancellationToken).ConfigureAwait(false);
            return $"source {verb}: {source.Describe()}";
        }

        try
        {
            await rename.RenameAtomicAsync(moved, source.Path, replaceExisting: false, cancellationToken).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex.Code == ErrorCodes.AlreadyExists)
        {
            return $"source left alone: {source.Describe()} was replaced while it was being {verb}; the version found then is kept as "
                + $"{connector.Describe(moved)} (a newer one has its name now)";
        }

        return $"source left in place: {source.Describe()} was replaced while it was being {verb} (a new version for a later run); it was put back";
    }

    private static string Changed(TransferLocation source, RemoteEntry current) =>
        $"source left in place: {source.Describe()} changed after it was sent (now {current.Size} bytes, modified {current.LastModified:O}), "
        + "so it is a new version for a later run";
}
