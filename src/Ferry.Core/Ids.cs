using System.Security.Cryptography;

namespace Ferry.Core;

/// <summary>Identifiers with a type prefix ("job_3f9a..."), unguessable so ids alone grant nothing.</summary>
public static class Ids
{
    /// <summary>A random id: for keys, endpoints, secrets and other records made now and then.</summary>
    public static string New(string prefix, int randomBytes = 10) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(randomBytes));

    /// <summary>
    /// A time-ordered id (Unix milliseconds in 12 hex digits, then 10 random bytes) for records made
    /// at a high rate: jobs, batches, audit entries. Ids made close together sort together, so a
    /// store's index on them grows at one end instead of rewriting a random page per insert —
    /// with random ids, index pages were most of what SQLite wrote per job.
    /// </summary>
    public static string Sequential(string prefix, TimeProvider? time = null)
    {
        var ms = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        return prefix + ms.ToString("x12", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
    }
}
