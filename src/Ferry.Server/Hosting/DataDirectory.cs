using Ferry.Core;
using Ferry.Core.Secrets;

namespace Ferry.Server.Hosting;

/// <summary>The data directory's files: database, staging area, and the keys generated on first run.</summary>
internal sealed class DataDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Database => Path.Combine(Root, "ferry.db");

    public string Staging => Path.Combine(Root, "staging");

    public void Create()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Staging);
        // Probe: a read-only directory fails here with a clear message rather than at the first job.
        var probe = Path.Combine(Root, ".write-test");
        File.WriteAllText(probe, "");
        File.Delete(probe);
    }

    public byte[] SecretKey(string? configured, out bool generated) =>
        SecretKeyFile.LoadOrCreate(configured, Path.Combine(Root, "secret.key"), out generated);

    /// <summary>The configured admin key, or the one generated into admin.key (owner-only) on first run.</summary>
    public string AdminKey(string? configured, out bool generated)
    {
        generated = false;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }

        var path = Path.Combine(Root, "admin.key");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var key = Ids.New("fry_admin_", 24);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Whoever reads this file administers the server.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var f = new FileStream(path, options))
        using (var w = new StreamWriter(f))
        {
            w.Write(key);
        }

        generated = true;
        return key;
    }
}
