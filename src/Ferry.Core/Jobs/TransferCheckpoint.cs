using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Core.Connectors;
using Ferry.Core.Json;

namespace Ferry.Core.Jobs;

/// <summary>
/// A transfer interrupted part-way: the source version it was reading and where its write can
/// continue. Kept in the job's checkpoint while the job is RUNNING (saved with lease renewals and
/// with a retry), so the next attempt - in this process or another - continues instead of
/// starting over, provided the source is still that version.
/// </summary>
/// <param name="Write">The write to the target; null before it has reported a checkpoint (<paramref name="Staged"/> alone).</param>
/// <param name="Staging">
/// SFTP to SFTP: the staging copy written beside <paramref name="Write"/> from the same read of the
/// source; the next attempt reads the source from the lower of the two offsets. Left out of the
/// stored form when there is none, so other checkpoints keep the form earlier versions wrote.
/// </param>
/// <param name="Staged">
/// SFTP to SFTP: the staging copy of <paramref name="Source"/> is whole, and <paramref name="Write"/>
/// (if any) is the delivery from it. The next attempt delivers that copy instead of reading the
/// partner's file again, provided the partner still holds this version.
/// </param>
public sealed record TransferCheckpoint(
    SourceVersion Source,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WriteCheckpoint? Write,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WriteCheckpoint? Staging = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] StagedCopy? Staged = null)
{
    private const string Prefix = "resume:";

    public string Serialize() => Prefix + JsonSerializer.Serialize(this, CoreJsonContext.Default.TransferCheckpoint);

    /// <summary>The transfer checkpoint in a job's checkpoint field, or null when it holds none (or another kind).</summary>
    public static TransferCheckpoint? Parse(string? checkpoint)
    {
        if (checkpoint is null || !checkpoint.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(checkpoint.AsSpan(Prefix.Length), CoreJsonContext.Default.TransferCheckpoint);
        }
        catch (JsonException)
        {
            // Written by a version that stored something else: start over rather than fail the job.
            return null;
        }
    }
}

/// <summary>A whole staging copy: where it is in the staging area and its SHA-256 (hex).</summary>
public sealed record StagedCopy(string Path, string Sha256);
