using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Ferry.Connectors.Sftp;

namespace Ferry.Cli.Locations;

/// <summary>
/// The host keys OpenSSH's known_hosts files list for a server, as SHA-256 fingerprints, so
/// <c>ferry copy</c> trusts what <c>ssh</c> already trusts when no --host-key is given. Reads
/// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts: plain and hashed ("|1|salt|hash") names,
/// "[host]:port" for ports other than 22, patterns with '*' and '?', and negated ones ('!').
/// A key marked @revoked is never trusted; @cert-authority lines are skipped (Ferry does not
/// check host certificates).
/// </summary>
internal static class KnownHosts
{
    public static IReadOnlyList<string> DefaultFiles() =>
    [
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"),
        "/etc/ssh/ssh_known_hosts",
    ];

    /// <summary>The fingerprints listed for host:port, and the files they came from (null when none).</summary>
    public static (IReadOnlyList<string> Keys, string? Source) Find(string host, int port, IReadOnlyList<string>? files = null)
    {
        var name = port == 22 ? host : $"[{host}]:{port}";
        var keys = new List<string>();
        var revoked = new HashSet<string>(StringComparer.Ordinal);
        var sources = new List<string>();
        foreach (var file in files ?? DefaultFiles())
        {
            if (!File.Exists(file))
            {
                continue;
            }

            var found = false;
            foreach (var line in File.ReadLines(file))
            {
                if (Parse(line, name) is not var (marker, fingerprint))
                {
                    continue;
                }

                found = true;
                if (marker == "@revoked")
                {
                    revoked.Add(fingerprint);
                }
                else if (marker is null && !keys.Contains(fingerprint))
                {
                    keys.Add(fingerprint);
                }
            }

            if (found)
            {
                sources.Add(file);
            }
        }

        keys.RemoveAll(revoked.Contains);
        return (keys, sources.Count == 0 ? null : string.Join(" and ", sources));
    }

    /// <summary>The line's marker (if any) and key fingerprint when it is about <paramref name="name"/>; null otherwise.</summary>
    private static (string? Marker, string Fingerprint)? Parse(string line, string name)
    {
        var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0 || fields[0].StartsWith('#'))
        {
            return null;
        }

        string? marker = null;
        if (fields[0].StartsWith('@'))
        {
            marker = fields[0];
            fields = fields[1..];
        }

        if (fields.Length < 3 || !NamesHost(fields[0], name) || Fingerprint(fields[2]) is not { } fingerprint)
        {
            return null;
        }

        return (marker, fingerprint);
    }

    private static bool NamesHost(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            var parts = hosts.Split('|');
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(name)), expected);
            }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException)
            {
                return false;
            }
        }

        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            if (Matches(negated ? pattern[1..] : pattern, name))
            {
                if (negated)
                {
                    return false;
                }

                matched = true;
            }
        }

        return matched;
    }

    private static bool Matches(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>"SHA256:..." of a base64 public key blob, as ssh-keygen -l prints it; null when it is not base64.</summary>
    private static string? Fingerprint(string base64Key)
    {
        try
        {
            return SftpHostKey.Format(Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(base64Key))));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
