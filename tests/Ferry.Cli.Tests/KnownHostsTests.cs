using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Ferry.Cli.Locations;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary>
/// <c>ferry copy</c> without --host-key trusts what OpenSSH's known_hosts lists: the parsing
/// (against keys and fingerprints made by ssh-keygen), and end to end against the rig's sshd with
/// the lines ssh-keyscan writes, plain and hashed by ssh-keygen -H.
/// </summary>
[Collection("rig")]
public sealed class KnownHostsTests(Rig rig) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-known-hosts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Find_ReadsNamesPortsPatternsNegationsHashesAndRevocations()
    {
        var (a, aFingerprint) = NewKey("a");
        var (b, bFingerprint) = NewKey("b");
        var (c, cFingerprint) = NewKey("c");
        var (d, dFingerprint) = NewKey("d");
        var salt = RandomNumberGenerator.GetBytes(20);
        var hashed = $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes("[files.example]:2222")))}";
        var file = Path.Combine(_dir, "known_hosts");
        File.WriteAllLines(file,
        [
            "# a comment, then a blank line",
            "",
            $"files.example,10.0.0.7 {a}",
            $"[files.example]:2222 {b}",
            $"*.example,!other.example {c}",
            $"{hashed} {d}",
            $"@cert-authority *.example {c}",
            "files.example ssh-ed25519 not-base64!",
        ]);

        Assert.Equal([aFingerprint, cFingerprint], KnownHosts.Find("files.example", 22, [file]).Keys);
        Assert.Equal([aFingerprint], KnownHosts.Find("10.0.0.7", 22, [file]).Keys);
        Assert.Equal([bFingerprint, dFingerprint], KnownHosts.Find("files.example", 2222, [file]).Keys);
        Assert.Empty(KnownHosts.Find("other.example", 22, [file]).Keys);
        Assert.Equal([cFingerprint], KnownHosts.Find("more.example", 22, [file]).Keys);
        var (none, source) = KnownHosts.Find("elsewhere.test", 22, [file, Path.Combine(_dir, "missing")]);
        Assert.Empty(none);
        Assert.Null(source);

        File.AppendAllLines(file, [$"@revoked * {a}"]);
        Assert.Equal([cFingerprint], KnownHosts.Find("files.example", 22, [file]).Keys);
        Assert.Equal(file, KnownHosts.Find("files.example", 22, [file]).Source);
    }

    [Fact]
    public async Task Copy_WithoutHostKey_TrustsTheKnownHostsEntry_PlainOrHashed_AndRefusesAnotherKey()
    {
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        var knownHosts = Path.Combine(home, ".ssh", "known_hosts");
        File.WriteAllText(knownHosts, Run("ssh-keyscan", "-p", rig.Sftp.Port.ToString(), "-t", "ed25519", "127.0.0.1"));
        var local = Path.Combine(_dir, "f.txt");
        await File.WriteAllTextAsync(local, "known");
        var remote = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        string Sftp(string name) => $"sftp://{rig.Sftp.Ed25519User}@127.0.0.1:{rig.Sftp.Port}{remote}/{name}";
        var env = new Dictionary<string, string> { ["HOME"] = home };

        var plain = await FerryProcess.RunAsync(["copy", local, Sftp("plain.txt"), "-i", rig.Sftp.Ed25519KeyPath, "--quiet"], env);
        Run("ssh-keygen", "-H", "-f", knownHosts);
        var hashed = await FerryProcess.RunAsync(["copy", local, Sftp("hashed.txt"), "-i", rig.Sftp.Ed25519KeyPath, "--quiet"], env);
        Assert.DoesNotContain("127.0.0.1", File.ReadAllText(knownHosts));

        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.True(hashed.ExitCode == 0, hashed.Stderr);
        Assert.Equal("known", File.ReadAllText(Path.Combine(remote, "hashed.txt")));

        // Another key listed for the server: refused as a mismatch that names the file.
        var (other, _) = NewKey("other");
        File.WriteAllText(knownHosts, $"[127.0.0.1]:{rig.Sftp.Port} {other}\n");
        var refused = await FerryProcess.RunAsync(["copy", local, Sftp("refused.txt"), "-i", rig.Sftp.Ed25519KeyPath], env);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("HOST_KEY_MISMATCH", refused.Stderr);
        Assert.Contains(knownHosts, refused.Stderr);
        Assert.False(File.Exists(Path.Combine(remote, "refused.txt")));
    }

    /// <summary>A fresh ed25519 key: its known_hosts form ("ssh-ed25519 AAAA...") and the fingerprint ssh-keygen prints for it.</summary>
    private (string Line, string Fingerprint) NewKey(string name)
    {
        var path = Path.Combine(_dir, name);
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path);
        var line = string.Join(' ', File.ReadAllText(path + ".pub").Split(' ')[..2]);
        var fingerprint = Run("ssh-keygen", "-l", "-E", "sha256", "-f", path + ".pub").Split(' ')[1];
        return (line, fingerprint);
    }

    private static string Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
