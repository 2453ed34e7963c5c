using System.Security.Cryptography;

namespace Ferry.Core.Streams;

/// <summary>Checksum helpers shared by connectors and flows.</summary>
public static class Checksums
{
    /// <summary>Reads <paramref name="stream"/> to its end and returns its lower-case hex SHA-256.</summary>
    public static async Task<string> Sha256HexAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, n);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>True when both are present and equal, ignoring case.</summary>
    public static bool SameHex(string? a, string? b) =>
        a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The ETag S3 gives a multipart object: hex MD5 of the concatenated binary part MD5s, a dash,
    /// and the part count. Ferry computes it from the part MD5s it sent and compares it with what
    /// the server reports, which checks every part end to end without reading the object back.
    /// </summary>
    public static string MultipartETag(IReadOnlyList<byte[]> partMd5s)
    {
        var all = new byte[partMd5s.Count * 16];
        for (var i = 0; i < partMd5s.Count; i++)
        {
            partMd5s[i].CopyTo(all, i * 16);
        }

        return Convert.ToHexStringLower(MD5.HashData(all)) + "-" + partMd5s.Count;
    }
}
