using System.Text.Json;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary><c>ferry copy</c> end to end: the real binary against the real sshd and S3 server.</summary>
[Collection("rig")]
public sealed class CopyCommandTests(Rig rig) : IAsyncLifetime
{
    private string _bucket = "";
    private string _work = "";
    private string _sftpDir = "";

    public async Task InitializeAsync()
    {
        _bucket = await rig.S3.NewBucketAsync();
        _work = Directory.CreateTempSubdirectory("ferry-cli-").FullName;
        _sftpDir = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
    }

    public async Task DisposeAsync()
    {
        await rig.S3.DeleteBucketAsync(_bucket);
        Directory.Delete(_work, recursive: true);
        Directory.Delete(_sftpDir, recursive: true);
    }

    private string Sftp(string path) => $"sftp://{rig.Sftp.Ed25519User}@127.0.0.1:{rig.Sftp.Port}{_sftpDir}/{path}";

    private string[] SftpAuth => ["-i", rig.Sftp.Ed25519KeyPath, "--host-key", rig.Sftp.HostKey];

    private Dictionary<string, string> AwsEnv => new()
    {
        ["AWS_ACCESS_KEY_ID"] = rig.S3.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = rig.S3.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = rig.S3.Endpoint,
    };

    [Fact]
    public async Task Copy_LocalToSftpToS3ToLocal_RoundTripsByteExact()
    {
        var local = Path.Combine(_work, "report 2026.bin");
        var sha = await RandomData.WriteFileAsync(local, 25L * 1024 * 1024 + 11, seed: 40);
        var back = Path.Combine(_work, "back.bin");

        var up = await FerryProcess.RunAsync(["copy", local, Sftp("in/"), .. SftpAuth]);
        var across = await FerryProcess.RunAsync(["copy", Sftp("in/report 2026.bin"), $"s3://{_bucket}/x/report.bin", .. SftpAuth, "--json"], AwsEnv);
        var down = await FerryProcess.RunAsync(["copy", $"s3://{_bucket}/x/report.bin", back, "--quiet"], AwsEnv);

        Assert.Equal((0, 0, 0), (up.ExitCode, across.ExitCode, down.ExitCode));
        Assert.Contains("Copied 25 MiB", up.Stdout);
        Assert.Contains(sha, up.Stdout);
        using var json = JsonDocument.Parse(across.Stdout);
        Assert.Equal("sftp-to-s3", json.RootElement.GetProperty("flow").GetString());
        Assert.Equal(sha, json.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(back));
        Assert.Equal("", down.Stdout);
        // Nothing on stderr: in particular no "SFTP ... falls back" warning, so the binary under
        // test (Native AOT from test.sh) stats and reads through SSH.NET's internals, not around them.
        Assert.Equal("", across.Stderr);
    }

    [Fact]
    public async Task Copy_ADirectory_CopiesEveryFileUnderIt_AGlobPicksSome_AndOneFailureDoesNotStopTheRest()
    {
        var dir = Path.Combine(_work, "out");
        var shas = new Dictionary<string, string>();
        foreach (var (name, size, seed) in new[] { ("a.csv", 1000L, 50), ("b.csv", 2000L, 51), ("sub/c.xml", 3000L, 52), ("sub/d e.csv", 500L, 53), ("locked/x.bin", 700L, 54) })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, name))!);
            shas[name] = await RandomData.WriteFileAsync(Path.Combine(dir, name), size, seed);
        }

        // Made by root in the SFTP user's tree: that one file cannot be delivered.
        Directory.CreateDirectory(Path.Combine(_sftpDir, "in", "locked"));
        SftpServer.Chown(Path.Combine(_sftpDir, "in"), rig.Sftp.Ed25519User);
        SftpServer.Chown(Path.Combine(_sftpDir, "in", "locked"), "root");

        var up = await FerryProcess.RunAsync(["copy", dir, Sftp("in/"), .. SftpAuth, "--retries", "0"]);

        Assert.True(up.ExitCode == 1, up.Stderr);
        Assert.Contains("5 files: 4 copied", up.Stderr);
        Assert.Contains("locked/x.bin", up.Stderr);
        Assert.Contains("PERMISSION_DENIED", up.Stderr);
        foreach (var name in shas.Keys.Where(n => !n.StartsWith("locked/", StringComparison.Ordinal)))
        {
            Assert.Equal(shas[name], await RandomData.Sha256OfFileAsync(Path.Combine(_sftpDir, "in", name)));
        }

        var csv = await FerryProcess.RunAsync(["copy", Sftp("in/**/*.csv"), $"s3://{_bucket}/csv/", .. SftpAuth, "--json"], AwsEnv);

        Assert.True(csv.ExitCode == 0, csv.Stderr);
        var lines = csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var listed = await rig.S3.Client.ListObjectsV2Async(new() { BucketName = _bucket, Prefix = "csv/" });
        Assert.Equal(["csv/a.csv", "csv/b.csv", "csv/sub/d e.csv"], listed.S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal));
        foreach (var line in lines)
        {
            using var report = JsonDocument.Parse(line);
            var target = report.RootElement.GetProperty("target").GetString()!;
            Assert.Equal(shas[target[(target.IndexOf("/csv/", StringComparison.Ordinal) + 5)..]], report.RootElement.GetProperty("sha256").GetString());
        }

        var refused = await FerryProcess.RunAsync(["copy", dir, Sftp("in/"), .. SftpAuth, "--transfers", "0"]);
        Assert.True(refused.ExitCode == 2 && refused.Stderr.Contains("--transfers must be between 1 and 32", StringComparison.Ordinal), refused.Stderr);

        // An S3 prefix without the '/' names an object that is not there, and the error says how to ask for all.
        var prefix = await FerryProcess.RunAsync(["copy", $"s3://{_bucket}/csv", Path.Combine(_work, "csv")], AwsEnv);
        Assert.True(prefix.ExitCode == 1 && prefix.Stderr.Contains("end it with '/'", StringComparison.Ordinal), prefix.Stderr);

        // A directory named without the trailing '/' is one path, and the error says how to ask for all.
        var one = await FerryProcess.RunAsync(["copy", Sftp("in/sub"), $"s3://{_bucket}/one/", .. SftpAuth], AwsEnv);
        Assert.True(one.ExitCode == 1, one.Stderr);
        Assert.Contains("end the source with '/'", one.Stderr);
    }

    [Fact]
    public async Task Copy_SftpToSftp_UsesStagingAndDelivers()
    {
        var sha = await RandomData.WriteFileAsync(Path.Combine(_sftpDir, "a.bin"), 3 * 1024 * 1024, seed: 41);
        SftpServer.Chown(_sftpDir, rig.Sftp.Ed25519User);
        var staging = Path.Combine(_work, "staging");

        var r = await FerryProcess.RunAsync(["copy", Sftp("a.bin"), Sftp("copies/b.bin"), .. SftpAuth, "--staging", staging, "--json"]);

        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(("sftp-to-sftp", "Staged"), (json.RootElement.GetProperty("flow").GetString(), json.RootElement.GetProperty("strategy").GetString()));
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(_sftpDir, "copies", "b.bin")));
        Assert.Empty(Directory.GetFiles(staging, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Copy_ConnectionCutMidUpload_TheRetryContinuesWhereItStopped()
    {
        var local = Path.Combine(_work, "resume.bin");
        var sha = await RandomData.WriteFileAsync(local, 24L * 1024 * 1024, seed: 43);
        await using var link = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, bytesPerSecond: 8L * 1024 * 1024);
        link.CutAfter(12L * 1024 * 1024, TimeSpan.FromSeconds(1));
        var target = $"sftp://{rig.Sftp.Ed25519User}@127.0.0.1:{link.Port}{_sftpDir}/resume.bin";

        var r = await FerryProcess.RunAsync(["copy", local, target, .. SftpAuth, "--retries", "4"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"continuing resume\.bin from byte [1-9][0-9,]* of 25,165,824", r.Stderr);
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(_sftpDir, "resume.bin")));
        Assert.Empty(Directory.GetFiles(_sftpDir, "resume.bin.*.part"));
        // Starting over would have sent 12 MiB + 24 MiB through the link.
        Assert.True(link.Forwarded < 30L * 1024 * 1024, $"{link.Forwarded:N0} bytes went through the link for a 24 MiB file");
    }

    [Fact]
    public async Task Copy_S3GoneMidUpload_TheRetryContinuesTheMultipartUpload()
    {
        var local = Path.Combine(_work, "parts.bin");
        var sha = await RandomData.WriteFileAsync(local, 40L * 1024 * 1024, seed: 44);
        var s3 = new Uri(rig.S3.Endpoint);
        await using var link = new FaultProxy(s3.Host, s3.Port, bytesPerSecond: 16L * 1024 * 1024);
        // Down long enough that the S3 client's own two quick retries fail too, and Ferry's attempt with them.
        // One part at a time, so two whole parts (16 MiB) are in when the link goes.
        link.CutAfter(20L * 1024 * 1024, TimeSpan.FromSeconds(6));
        var env = new Dictionary<string, string>(AwsEnv) { ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{link.Port}" };

        var r = await FerryProcess.RunAsync(["copy", local, $"s3://{_bucket}/in/parts.bin", "--part-size-mib", "8", "--parallel", "1", "--retries", "6"], env);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(r.Stderr, @"continuing parts\.bin from byte [1-9][0-9,]* of 41,943,040"), r.Stderr);
        using (var obj = await rig.S3.Client.GetObjectAsync(_bucket, "in/parts.bin"))
        await using (var body = obj.ResponseStream)
        {
            Assert.Equal(sha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(body)));
        }

        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
        // Starting over would have sent 20 MiB + 40 MiB through the link.
        Assert.True(link.Forwarded < 56L * 1024 * 1024, $"{link.Forwarded:N0} bytes went through the link for a 40 MiB file");
    }

    [Theory]
    [InlineData("0")] // no retries: the failed write is deleted at once (when the server lets it)
    [InlineData("1")] // with retries: kept for the next attempt, removed after the last one
    public async Task Copy_TargetGoneMidUpload_SaysWhereThePartialFileWasLeft(string retries)
    {
        var local = Path.Combine(_work, "big.bin");
        await RandomData.WriteFileAsync(local, 24L * 1024 * 1024, seed: 42);
        await using var link = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, bytesPerSecond: 8L * 1024 * 1024);
        // Cut at 8 MiB and refuse connections long enough that the cleanup cannot reach the server either.
        link.CutAfter(8L * 1024 * 1024, TimeSpan.FromSeconds(60));
        var target = $"sftp://{rig.Sftp.Ed25519User}@127.0.0.1:{link.Port}{_sftpDir}/big.bin";

        var r = await FerryProcess.RunAsync(["copy", local, target, .. SftpAuth, "--retries", retries]);

        Assert.True(r.ExitCode == 3, r.Stderr); // transient: trying again later may work
        Assert.Contains("the partial file was left behind", r.Stderr);
        var part = Assert.Single(Directory.GetFiles(_sftpDir, "big.bin.*.part"));
        Assert.Contains(Path.GetFileName(part), r.Stderr);
        Assert.False(File.Exists(Path.Combine(_sftpDir, "big.bin")));
    }

    [Fact]
    public async Task Copy_WithoutPinnedHostKey_FailsAndPrintsTheKeyToPin()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "f.txt"), "x");

        var r = await FerryProcess.RunAsync(["copy", Path.Combine(_work, "f.txt"), Sftp("f.txt"), "-i", rig.Sftp.Ed25519KeyPath]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("HOST_KEY_NOT_TRUSTED", r.Stderr);
        Assert.Contains(rig.Sftp.HostKey, r.Stderr);
        Assert.Contains("--host-key", r.Stderr);
    }

    [Fact]
    public async Task Copy_WrongHostKey_FailsWithoutRetrying()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "f.txt"), "x");

        var r = await FerryProcess.RunAsync(["copy", Path.Combine(_work, "f.txt"), Sftp("f.txt"), "-i", rig.Sftp.Ed25519KeyPath,
            "--host-key", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("HOST_KEY_MISMATCH", r.Stderr);
        Assert.DoesNotContain("retrying", r.Stderr);
    }

    [Fact]
    public async Task Copy_WrongPassword_FailsAuthentication()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "f.txt"), "x");
        var target = $"sftp://{rig.Sftp.PasswordUser}@127.0.0.1:{rig.Sftp.Port}{rig.Sftp.PasswordBase}/f.txt";

        var r = await FerryProcess.RunAsync(["copy", Path.Combine(_work, "f.txt"), target, "--host-key", rig.Sftp.HostKey],
            new Dictionary<string, string> { ["FERRY_SFTP_PASSWORD"] = "wrong" });

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("AUTHENTICATION_FAILED", r.Stderr);
        Assert.DoesNotContain("left behind", r.Stderr); // nothing was written
    }

    [Fact]
    public async Task Copy_NoCredentialsAndNoTerminal_SaysHowToGiveThem()
    {
        var r = await FerryProcess.RunAsync(["copy", Sftp("f.txt"), Path.Combine(_work, "f.txt"), "--host-key", rig.Sftp.HostKey]);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--key-file", r.Stderr);
        Assert.Contains("FERRY_SFTP_PASSWORD", r.Stderr);
    }

    [Fact]
    public async Task Copy_ClosedPort_FailsTransientlyAfterRetries()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "f.txt"), "x");
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();

        var r = await FerryProcess.RunAsync(["copy", Path.Combine(_work, "f.txt"), $"sftp://u@127.0.0.1:{port}/f.txt", .. SftpAuth, "--retries", "1"]);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("CONNECTION_FAILED", r.Stderr);
        Assert.Contains("retrying", r.Stderr);
    }

    [Theory]
    [InlineData("ftp://host/file", "unknown scheme")]
    [InlineData("sftp://host/file", "name the user")]
    [InlineData("sftp://u@host:99999/file", "not a port number")]
    [InlineData("s3://Bad_Bucket/key", "not a valid bucket name")]
    public async Task Copy_MalformedLocation_ExitsTwoNamingTheProblem(string source, string message)
    {
        var r = await FerryProcess.RunAsync(["copy", source, Path.Combine(_work, "out")]);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public async Task Copy_MissingSource_FailsNotFound()
    {
        var r = await FerryProcess.RunAsync(["copy", Path.Combine(_work, "nope"), Path.Combine(_work, "out")]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NOT_FOUND", r.Stderr);
    }

    [Fact]
    public async Task Copy_FailIfExists_LeavesTheTarget()
    {
        var src = Path.Combine(_work, "new.txt");
        var dst = Path.Combine(_work, "old.txt");
        await File.WriteAllTextAsync(src, "new");
        await File.WriteAllTextAsync(dst, "old");

        var r = await FerryProcess.RunAsync(["copy", src, dst, "--overwrite", "fail-if-exists"]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ALREADY_EXISTS", r.Stderr);
        Assert.Equal("old", await File.ReadAllTextAsync(dst));
    }
}
