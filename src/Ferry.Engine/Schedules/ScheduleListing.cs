using Ferry.Core.Connectors;
using Ferry.Core.Paths;

namespace Ferry.Engine.Schedules;

/// <summary>One look at a schedule's source: its files by path relative to the listed directory.</summary>
internal static class ScheduleListing
{
    public static async Task<(Dictionary<string, RemoteEntry> Files, bool Truncated)> ReadAsync(
        IConnector source, string root, bool recursive, int maxFiles, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, RemoteEntry>(StringComparer.Ordinal);
        await foreach (var entry in source.ListAsync(root, new ListOptions(Recursive: recursive), cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsDirectory)
            {
                continue;
            }

            var relative = Relative(root, entry.Path);
            // Ferry's own in-flight files are never sources.
            if (relative.EndsWith(".part", StringComparison.Ordinal))
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

    private static string Relative(string root, string path)
    {
        var p = RemotePath.Normalize(path);
        return root.Length == 0 ? p : p.StartsWith(root + "/", StringComparison.Ordinal) ? p[(root.Length + 1)..] : RemotePath.FileName(p);
    }
}
