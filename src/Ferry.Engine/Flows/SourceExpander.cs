using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;

namespace Ferry.Engine.Flows;

/// <summary>
/// Turns a request's source path into files: a file is itself; a directory or prefix is every
/// file under it (recursively); a glob is every file whose path matches ('*' and '?' stay inside
/// one directory level, '**' crosses levels). Files keep their path relative to the listed
/// directory under the target. Shared by transfer requests and <c>ferry copy</c> of a directory.
/// </summary>
public static class SourceExpander
{
    /// <exception cref="ExpansionException">The request names nothing, or too much.</exception>
    public static async Task<IReadOnlyList<FileToTransfer>> ExpandAsync(IConnector source, string sourcePath, string targetPath, int maxFiles, CancellationToken cancellationToken)
    {
        if (Glob.IsGlob(sourcePath))
        {
            var segments = sourcePath.Split('/');
            var firstGlob = Array.FindIndex(segments, Glob.IsGlob);
            var root = string.Join('/', segments[..firstGlob]);
            var pattern = Glob.ToRegex(string.Join('/', segments[firstGlob..]));
            var recursive = segments.Length - firstGlob > 1 || sourcePath.Contains("**", StringComparison.Ordinal);
            var files = await ListAsync(source, root, recursive, maxFiles, rel => pattern.IsMatch(rel), cancellationToken).ConfigureAwait(false);
            return Map(files, root, targetPath, sourcePath);
        }

        var trailingSlash = sourcePath.EndsWith('/') || sourcePath.Length == 0;
        var normalized = RemotePath.Normalize(sourcePath);
        if (!trailingSlash)
        {
            var entry = await source.StatAsync(normalized, cancellationToken).ConfigureAwait(false);
            if (entry is { IsDirectory: false })
            {
                var target = targetPath.EndsWith('/') ? targetPath + RemotePath.FileName(normalized) : targetPath;
                return [new FileToTransfer(entry, normalized, RemotePath.Normalize(target))];
            }
        }

        // A directory, or an S3 prefix (which stat does not see).
        var under = await ListAsync(source, normalized, recursive: true, maxFiles, _ => true, cancellationToken).ConfigureAwait(false);
        return Map(under, normalized, targetPath, sourcePath);
    }

    private static async Task<List<(RemoteEntry Entry, string Relative)>> ListAsync(
        IConnector source, string root, bool recursive, int maxFiles, Func<string, bool> keep, CancellationToken cancellationToken)
    {
        var (files, truncated) = await SourceListing.ReadAsync(source, root, recursive, maxFiles, keep, cancellationToken).ConfigureAwait(false);
        return truncated
            ? throw new ExpansionException($"matches more than {maxFiles} files; narrow it with a glob or split the request", tooMany: true)
            : files.Select(f => (f.Value, f.Key)).ToList();
    }

    private static IReadOnlyList<FileToTransfer> Map(List<(RemoteEntry Entry, string Relative)> files, string root, string targetPath, string asked)
    {
        if (files.Count == 0)
        {
            throw new ExpansionException($"'{asked}' matches no file", tooMany: false);
        }

        var targetDir = RemotePath.Normalize(targetPath);
        return files
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => new FileToTransfer(f.Entry, RemotePath.Combine(root, f.Relative).TrimStart('/'), RemotePath.Combine(targetDir, f.Relative).TrimStart('/')))
            .ToList();
    }
}

/// <summary>A source that names no file, or more than allowed (<see cref="TooMany"/>).</summary>
public sealed class ExpansionException(string reason, bool tooMany) : Exception(reason)
{
    public bool TooMany { get; } = tooMany;
}
