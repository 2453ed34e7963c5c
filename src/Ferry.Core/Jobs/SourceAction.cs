using System.Text.Json;
using Ferry.Core.Connectors;
using Ferry.Core.Json;

namespace Ferry.Core.Jobs;

/// <summary>What happens to a job's source file once its delivery is verified.</summary>
public enum SourceActionKind
{
    None,
    Delete,
    Move,
}

/// <summary>
/// A post-action on the source. On a schedule or trigger <see cref="ArchivePath"/> is a
/// <see cref="Schedules.PathTemplate"/>; on a job it is the one path that file goes to.
/// </summary>
public sealed record SourceAction(SourceActionKind Kind, string? ArchivePath = null)
{
    public static readonly SourceAction None = new(SourceActionKind.None);
}

/// <summary>
/// The version of a source file that was sent (size, modification time, ETag). A post-action
/// touches the source only while it is still this version: a partner may have written a new one
/// since, and deleting that would lose it. Kept in the job's checkpoint between verification and
/// the post-action, so a worker that takes the job over does not transfer it again.
/// </summary>
public sealed record SourceVersion(long Size, DateTimeOffset? LastModified, string? ETag)
{
    private const string Prefix = "sent:";

    public static SourceVersion Of(RemoteEntry entry) => new(entry.Size, entry.LastModified, entry.ETag);

    public bool Matches(RemoteEntry entry) => entry.Size == Size && entry.LastModified == LastModified && entry.ETag == ETag;

    public string ToCheckpoint() => Prefix + JsonSerializer.Serialize(this, CoreJsonContext.Default.SourceVersion);

    public static SourceVersion? FromCheckpoint(string? checkpoint) =>
        checkpoint is not null && checkpoint.StartsWith(Prefix, StringComparison.Ordinal)
            ? JsonSerializer.Deserialize(checkpoint.AsSpan(Prefix.Length), CoreJsonContext.Default.SourceVersion)
            : null;
}
