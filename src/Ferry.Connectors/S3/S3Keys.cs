using Ferry.Core.Errors;
using Ferry.Core.Paths;

namespace Ferry.Connectors.S3;

/// <summary>Maps connector paths to object keys under the endpoint's prefix, and back.</summary>
internal sealed class S3Keys
{
    private readonly string _prefix;

    public S3Keys(string prefix)
    {
        var p = RemotePath.Normalize(prefix);
        _prefix = p.Length == 0 ? "" : p + "/";
    }

    /// <summary>The key of a file; the base itself is not an object.</summary>
    public string ObjectKey(string path, string where)
    {
        var rel = RemotePath.Normalize(path);
        if (rel.Length == 0)
        {
            throw FerryException.Permanent(ErrorCodes.InvalidPath, $"{where}: name an object, not the bucket or prefix itself");
        }

        return _prefix + rel;
    }

    /// <summary>The prefix to list under for a directory-like path ("" lists the whole base).</summary>
    public string ListPrefix(string path)
    {
        var rel = RemotePath.Normalize(path);
        return rel.Length == 0 ? _prefix : _prefix + rel + "/";
    }

    /// <summary>The connector path of a key under the base, or null for keys outside it.</summary>
    public string? RelativePath(string key)
    {
        if (!key.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rel = key[_prefix.Length..].TrimEnd('/');
        return rel.Length == 0 ? null : rel;
    }
}
