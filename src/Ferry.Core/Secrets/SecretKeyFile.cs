using System.Security.Cryptography;

namespace Ferry.Core.Secrets;

/// <summary>Finds the secret-store key: from configuration, or generated once into the data directory.</summary>
public static class SecretKeyFile
{
    /// <summary>
    /// Decodes <paramref name="configuredBase64"/> when given. Otherwise reads
    /// <paramref name="path"/>, creating it (32 random bytes, mode 0600) on first use; then
    /// <paramref name="generated"/> is true so the caller can warn that the key lives beside the data.
    /// </summary>
    public static byte[] LoadOrCreate(string? configuredBase64, string path, out bool generated)
    {
        generated = false;
        if (!string.IsNullOrWhiteSpace(configuredBase64))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(configuredBase64.Trim());
            }
            catch (FormatException)
            {
                throw new ArgumentException("The configured secret-store key is not base64.");
            }

            return key.Length == 32 ? key : throw new ArgumentException($"The configured secret-store key has {key.Length} bytes; AES-256 needs 32.");
        }

        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            return existing.Length == 32 ? existing : throw new ArgumentException($"{path} holds {existing.Length} bytes, not a 32-byte key.");
        }

        var fresh = RandomNumberGenerator.GetBytes(32);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Readable by Ferry's user only: whoever reads this file can read every credential.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(path, options))
        {
            file.Write(fresh);
        }

        generated = true;
        return fresh;
    }
}
