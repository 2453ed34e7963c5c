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
internal static class SourcePostAction
{
    /// <summary>Runs <paramref name="action"/>; returns what was done, for the job's history.</summary>
    public static async Task<string> RunAsync(TransferLocation source, SourceAction action, SourceVersion sent, CancellationToken cancellationToken)
    {
        var current = await source.Connector.StatAsync(source.Path, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return action.Kind == SourceActionKind.Move
                && await source.Connector.StatAsync(action.ArchivePath!, cancellationToken).ConfigureAwait(false) is { } archived && archived.Size == sent.Size
                ? $"source already moved to {source.Connector.Describe(action.ArchivePath!)}"
                : "source already gone; nothing to " + (action.Kind == SourceActionKind.Move ? "move" : "delete");
        }

        if (current.IsDirectory || !sent.Matches(current))
        {
            return $"source left in place: {source.Describe()} changed after it was sent (now {current.Size} bytes, modified {current.LastModified:O}), "
                + "so it is a new version for a later run";
        }

        switch (action.Kind)
        {
            case SourceActionKind.Delete:
                await source.Connector.DeleteAsync(source.Path, cancellationToken).ConfigureAwait(false);
                return $"source deleted: {source.Describe()}";
            case SourceActionKind.Move:
                await source.Connector.RenameAsync(source.Path, action.ArchivePath!, cancellationToken).ConfigureAwait(false);
                return $"source moved to {source.Connector.Describe(action.ArchivePath!)}";
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "no post-action to run");
        }
    }

    /// <summary>The error a job fails with when the post-action cannot be done: the delivery itself stands.</summary>
    public static FerryException Failed(FerryException cause, SourceAction action, TransferLocation source, long bytes, string? sha256) =>
        new(cause.Kind, ErrorCodes.PostActionFailed,
            $"the file was delivered and verified ({bytes} bytes{(sha256 is null ? "" : ", SHA-256 " + sha256)}), but {source.Describe()} could not be "
            + (action.Kind == SourceActionKind.Move ? $"moved to {action.ArchivePath}" : "deleted") + $": {cause.Code}: {cause.Message}", cause);
}
