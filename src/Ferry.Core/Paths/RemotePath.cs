using Ferry.Core.Errors;

namespace Ferry.Core.Paths;

/// <summary>
/// Normalises paths given to connectors. A connector path is relative to the endpoint's base
/// (an SFTP base directory or an S3 bucket + prefix), uses '/' separators and never escapes
/// the base: "a/./b//c" becomes "a/b/c", "a/../b" becomes "b", and "../x" is rejected.
/// The empty string names the base itself.
/// </summary>
public static class RemotePath
{
    public const int MaxLength = 1024;

    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length > MaxLength)
        {
            throw Invalid(path, $"longer than {MaxLength} characters");
        }

        foreach (var c in path)
        {
            if (c == '\0')
            {
                throw Invalid(path, "contains a NUL character");
            }

            if (char.IsControl(c))
            {
                throw Invalid(path, "contains a control character");
            }
        }

        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count == 0)
                {
                    throw Invalid(path, "'..' would leave the endpoint's base path");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(segment);
        }

        return string.Join('/', parts);
    }

    /// <summary>Joins a normalised base (may be absolute, e.g. "/data") and a relative path.</summary>
    public static string Combine(string basePath, string relative)
    {
        var rel = Normalize(relative);
        if (rel.Length == 0)
        {
            return basePath.Length == 0 ? "" : basePath;
        }

        if (basePath.Length == 0)
        {
            return rel;
        }

        return basePath.EndsWith('/') ? basePath + rel : basePath + "/" + rel;
    }

    /// <summary>The last segment: "a/b/c.txt" gives "c.txt".</summary>
    public static string FileName(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>Everything before the last segment: "a/b/c.txt" gives "a/b"; "c.txt" gives "".</summary>
    public static string Parent(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? "" : trimmed[..slash];
    }

    private static FerryException Invalid(string path, string reason) =>
        FerryException.Permanent(ErrorCodes.InvalidPath, $"Invalid path '{Printable(path)}': {reason}");

    private static string Printable(string path)
    {
        var shown = path.Length > 120 ? path[..120] + "…" : path;
        return new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
