namespace Ferry.Connectors.Sftp;

/// <summary>Host key fingerprints in OpenSSH's notation, "SHA256:" + unpadded base64.</summary>
public static class SftpHostKey
{
    private const string Prefix = "SHA256:";

    /// <summary>Formats SSH.NET's fingerprint (base64, padding varies by version) as OpenSSH prints it.</summary>
    public static string Format(string base64) => Prefix + base64.TrimEnd('=');

    /// <summary>
    /// Parses a pinned fingerprint. Accepts "SHA256:xxx" or the bare base64, with or without
    /// padding. Returns null when it is not a SHA-256 fingerprint.
    /// </summary>
    public static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var v = value.Trim();
        if (v.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            v = v[Prefix.Length..];
        }

        v = v.TrimEnd('=');
        Span<byte> bytes = stackalloc byte[32];
        var padded = v + new string('=', (4 - (v.Length % 4)) % 4);
        return Convert.TryFromBase64String(padded, bytes, out var written) && written == 32 ? Prefix + v : null;
    }

    public static bool Matches(string pinned, string presented) =>
        string.Equals(Normalize(pinned), Normalize(presented), StringComparison.Ordinal);
}
