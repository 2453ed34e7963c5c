namespace Ferry.Core.Connectors;

/// <summary>A file or directory as a connector sees it.</summary>
/// <param name="Path">Relative to the endpoint's base, normalised, '/' separated.</param>
/// <param name="Size">Bytes; 0 for directories.</param>
/// <param name="LastModified">When the store says the entry last changed, if it says.</param>
/// <param name="ETag">S3's entity tag (unquoted), when the store has one.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content, when the store records it.</param>
/// <param name="DeliveredFor">The trigger Ferry wrote this file for (<see cref="WriteOptions.DeliveredFor"/>), when recorded.</param>
public sealed record RemoteEntry(
    string Path,
    bool IsDirectory,
    long Size,
    DateTimeOffset? LastModified,
    string? ETag = null,
    string? Sha256 = null,
    string? DeliveredFor = null)
{
    public string Name => Paths.RemotePath.FileName(Path);
}
