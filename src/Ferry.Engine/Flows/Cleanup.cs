using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Engine.Flows;

/// <summary>Best-effort removal of temporary files (part files, staged copies, kept multipart uploads) after a failure or a delivery.</summary>
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

    /// <summary>
    /// Deletes a partial write after <paramref name="failure"/>, for a transfer that keeps no
    /// checkpoints (<c>ferry copy</c>): nothing else will remember the file, so when it stays (the
    /// server that failed often refuses the delete too) the error returned says where it is.
    /// </summary>
    public static async Task<Exception> DeleteAfterFailureAsync(IConnector connector, string path, Exception failure)
    {
        var notes = new List<string>();
        await DeleteQuietlyAsync(connector, path, notes).ConfigureAwait(false);
        return notes.Count > 0 && failure is FerryException f
            ? new FerryException(f.Kind, f.Code, $"{f.Message} (the partial file was left behind: {notes[0]})", f)
            : failure;
    }

    /// <summary>
    /// Throws away a partial write that will not be continued, giving up after 30 seconds. Failures
    /// are swallowed: an abandoned multipart upload costs storage, not correctness, and the store's
    /// AbortIncompleteMultipartUpload lifecycle rule is the backstop.
    /// </summary>
    public static async Task<bool> DiscardQuietlyAsync(IResumableWrites target, WriteCheckpoint checkpoint)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await target.DiscardAsync(checkpoint, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is FerryException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes what a failed job may have left at its target: the partial write its attempts kept
    /// (<paramref name="write"/>) and its part file (<paramref name="partPath"/>), either may be
    /// null; each gets 30 seconds. Returns null when both are gone, else why not.
    /// </summary>
    public static async Task<string?> RemoveLeftoverAsync(IConnector target, WriteCheckpoint? write, string? partPath)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (write is not null && target.GetCapability<IResumableWrites>() is { } resumable)
            {
                await resumable.DiscardAsync(write, timeout.Token).ConfigureAwait(false);
            }

            if (partPath is not null && partPath != write?.Path)
            {
                await target.DeleteAsync(partPath, timeout.Token).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception ex) when (ex is FerryException or OperationCanceledException)
        {
            return ex is OperationCanceledException ? "no answer within 30 s" : ex.Message;
        }
    }
}
