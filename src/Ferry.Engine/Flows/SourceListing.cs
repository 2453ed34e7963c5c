using Ferry.Core.Connectors;
using Ferry.Core.Paths;

namespace Ferry.Engine.Flows;

/// <summary>
/// The files under a directory or prefix, by path relative to it: what a transfer request
/// expands and what a schedule looks at. Ferry's own in-flight ".part" files are never sources.
/// </summary>
public static class SourceListing
{
    /// <summary>Up to <paramref name="maxFiles"/> files that <paramref name="keep"/> accepts; Truncated when there were more.</summary>
    public static async Task<(Dictionary<string, RemoteEntry> Files, bool Truncated)> ReadAsync(
        IConnector source, string root, bool recursive, int maxFiles, Func<string, bool>? keep, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, RemoteEntry>(StringComparer.Ordinal);
        await foreach (var entry in source.ListAsync(root, new ListOptions(Recursive: recursive), cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsDirectory)
            {
                continue;
            }

            var relative = Relative(root, entry.Path);
            if (relative.EndsWith(".part", StringComparison.Ordinal) || keep?.Invoke(relative) == false)
            {
                continue;
            }

            if (files.Count == maxFiles)
            {
                return (files, true);
            }

            files[relative] = entry;
        }

        return (files, false);
    }

    /// <summary>The entry's path relative to the listed root (entries come back relative to the endpoint base).</summary>
    private static string Relative(string root, string path)
    {
        var p = RemotePath.Normalize(path);
        return root.Length == 0 ? p : p.StartsWith(root + "/", StringComparison.Ordinal) ? p[(root.Length + 1)..] : RemotePath.FileName(p);
    }
}
