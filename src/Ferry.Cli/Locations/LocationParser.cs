using System.Globalization;

namespace Ferry.Cli.Locations;

/// <summary>
/// Parses "sftp://user@host[:port]/path", "s3://bucket/key" and local paths. Paths are taken
/// literally (no percent-decoding), so names with spaces, '%' or '?' need only shell quoting.
/// </summary>
internal static class LocationParser
{
    public static Location Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new LocationException("a location is empty");
        }

        if (text.Contains('\0'))
        {
            throw new LocationException("a location contains a NUL character");
        }

        var dirHint = text.EndsWith('/');
        if (text.StartsWith("sftp://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseSftp(text, text["sftp://".Length..]) with { IsDirectoryHint = dirHint };
        }

        if (text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseS3(text, text["s3://".Length..]) with { IsDirectoryHint = dirHint };
        }

        if (text.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            text = text["file://".Length..];
        }
        else if (text.Contains("://", StringComparison.Ordinal))
        {
            throw new LocationException($"'{text}': unknown scheme; use sftp://, s3:// or a local path");
        }

        return new LocalLocation(System.IO.Path.GetFullPath(text)) { IsDirectoryHint = dirHint || Directory.Exists(text) };
    }

    private static SftpLocation ParseSftp(string original, string rest)
    {
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[(slash + 1)..];
        var at = authority.LastIndexOf('@');
        if (at <= 0)
        {
            throw new LocationException($"'{original}': name the user, as in sftp://alice@{(at == 0 ? authority[1..] : authority)}/path");
        }

        var user = authority[..at];
        var hostPort = authority[(at + 1)..];
        string host;
        var port = 22;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
            {
                throw new LocationException($"'{original}': unclosed '[' in an IPv6 address");
            }

            host = hostPort[1..close];
            var after = hostPort[(close + 1)..];
            if (after.StartsWith(':'))
            {
                port = ParsePort(original, after[1..]);
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            if (colon >= 0)
            {
                port = ParsePort(original, hostPort[(colon + 1)..]);
            }
        }

        if (host.Length == 0)
        {
            throw new LocationException($"'{original}': the host is missing");
        }

        var fromHome = path == "~" || path.StartsWith("~/", StringComparison.Ordinal);
        if (fromHome)
        {
            path = path.Length > 1 ? path[2..] : "";
        }

        return new SftpLocation(user, host, port, fromHome, path);
    }

    private static int ParsePort(string original, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new LocationException($"'{original}': '{text}' is not a port number (1-65535)");
        }

        return port;
    }

    private static S3Location ParseS3(string original, string rest)
    {
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
        {
            throw new LocationException($"'{original}': '{bucket}' is not a valid bucket name (3-63 lower-case letters, digits, '-' or '.')");
        }

        return new S3Location(bucket, key);
    }
}

/// <summary>A location the user typed cannot be understood.</summary>
internal sealed class LocationException(string message) : Exception(message);
