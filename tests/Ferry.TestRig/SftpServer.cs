using Ferry.Connectors.Sftp;
using Xunit;

namespace Ferry.TestRig;

/// <summary>
/// A private OpenSSH sshd on 127.0.0.1 (rig/sftp/start), with key, RSA-key, password and
/// chrooted users. Fails loudly, with the command that fixes it, when it cannot start.
/// </summary>
public sealed class SftpServer : IAsyncLifetime
{
    private Dictionary<string, string> _env = new();

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "ferry-rig-sftp-" + Guid.NewGuid().ToString("N")[..8]);

    public string Host => _env["SFTP_HOST"];
    public int Port => int.Parse(_env["SFTP_PORT"]);
    public string HostKey => _env["SFTP_HOST_KEY_SHA256"];
    public string Ed25519User => _env["SFTP_ED25519_USER"];
    public string Ed25519KeyPath => _env["SFTP_ED25519_KEY"];
    public string Ed25519Base => _env["SFTP_ED25519_BASE"];
    public string RsaUser => _env["SFTP_RSA_USER"];
    public string RsaKeyPath => _env["SFTP_RSA_KEY"];
    public string RsaBase => _env["SFTP_RSA_BASE"];
    public string PasswordUser => _env["SFTP_PASSWORD_USER"];
    public string Password => _env["SFTP_PASSWORD"];
    public string PasswordBase => _env["SFTP_PASSWORD_BASE"];
    public string JailUser => _env["SFTP_JAIL_USER"];
    public string JailRoot => _env["SFTP_JAIL_ROOT"];

    /// <summary>A user (ed25519 key) whose SFTP server refuses posix-rename, as hardened or older servers do.</summary>
    public string NoPosixRenameUser => _env["SFTP_NO_POSIX_RENAME_USER"];
    public string NoPosixRenameBase => _env["SFTP_NO_POSIX_RENAME_BASE"];

    public async Task InitializeAsync()
    {
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("sftp"), "start"), [Directory], TimeSpan.FromSeconds(60));
        _env = RigProcess.ReadEnv(Path.Combine(Directory, "env"));
    }

    public async Task DisposeAsync() =>
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("sftp"), "stop"), [Directory], TimeSpan.FromSeconds(30));

    /// <summary>Options for the ed25519 user with a fresh, empty base directory of its own.</summary>
    public SftpEndpointOptions KeyUser(string? basePath = null) => new()
    {
        Host = Host,
        Port = Port,
        Username = Ed25519User,
        PrivateKey = File.ReadAllText(Ed25519KeyPath),
        HostKeySha256 = HostKey,
        BasePath = basePath ?? NewDirectory(Ed25519Base, Ed25519User),
    };

    public SftpEndpointOptions RsaKeyUser() => new()
    {
        Host = Host,
        Port = Port,
        Username = RsaUser,
        PrivateKey = File.ReadAllText(RsaKeyPath),
        HostKeySha256 = HostKey,
        BasePath = NewDirectory(RsaBase, RsaUser),
    };

    public SftpEndpointOptions PasswordUserOptions(string? password = null) => new()
    {
        Host = Host,
        Port = Port,
        Username = PasswordUser,
        Password = password ?? Password,
        HostKeySha256 = HostKey,
        BasePath = NewDirectory(PasswordBase, PasswordUser),
    };

    /// <summary>The chrooted user: inside its jail it sees "/upload".</summary>
    public SftpEndpointOptions JailUserOptions() => new()
    {
        Host = Host,
        Port = Port,
        Username = JailUser,
        PrivateKey = File.ReadAllText(Ed25519KeyPath),
        HostKeySha256 = HostKey,
        BasePath = "/upload",
    };

    /// <summary>Options for the user whose server refuses posix-rename, with a fresh, empty base directory.</summary>
    public SftpEndpointOptions NoPosixRenameUserOptions() => new()
    {
        Host = Host,
        Port = Port,
        Username = NoPosixRenameUser,
        PrivateKey = File.ReadAllText(Ed25519KeyPath),
        HostKeySha256 = HostKey,
        BasePath = NewDirectory(NoPosixRenameBase, NoPosixRenameUser),
    };

    /// <summary>Creates an empty directory under <paramref name="parent"/> owned by <paramref name="owner"/>.</summary>
    public static string NewDirectory(string parent, string owner)
    {
        var dir = Path.Combine(parent, "t-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(dir);
        Chown(dir, owner);
        return dir;
    }

    public static void Chown(string path, string owner)
    {
        using var p = System.Diagnostics.Process.Start("chown", ["-R", owner + ":", path])!;
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown {owner} {path} failed");
        }
    }
}
