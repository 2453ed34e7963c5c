using System.Text.Json;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary>
/// `ferry transfer`, `ferry jobs` and `ferry endpoints` against a running `ferry serve` (the binary
/// under test) moving files between directories on the rig's sshd: what they print, what the
/// server did, and the exit codes scripts rely on (0 all succeeded, 1 a job failed, 2 bad input
/// or key, 3 server out of reach or the wait ran out).
/// </summary>
[Collection("rig")]
public sealed class RemoteCommandsTests(Rig rig) : IAsyncLifetime
{
    private ServedFerry _server = null!;
    private string _inbox = "";
    private string _archive = "";

    public async Task InitializeAsync()
    {
        _server = await ServedFerry.StartAsync();
        _inbox = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
        _archive = SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_inbox, recursive: true);
        Directory.Delete(_archive, recursive: true);
    }

    private Task<FerryProcess.Outcome> Ferry(params string[] args) => FerryProcess.RunAsync(args, _server.Env);

    [Fact]
    public async Task Transfer_WithWait_DeliversEveryFile_ExitsZero_AndARerunCreatesNothing()
    {
        await _server.RegisterSftpAsync(rig.Sftp, "partner", _inbox);
        var archive = await _server.RegisterSftpAsync(rig.Sftp, "archive", _archive);
        var sums = new Dictionary<string, string>();
        Directory.CreateDirectory(Path.Combine(_inbox, "out"));
        foreach (var name in new[] { "a.csv", "b.csv", "c d.csv" })
        {
            sums[name] = await RandomData.WriteFileAsync(Path.Combine(_inbox, "out", name), 70_000 + name.Length, seed: name[0]);
        }

        SftpServer.Chown(_inbox, rig.Sftp.Ed25519User);

        var first = await Ferry("transfer", "partner:out/*.csv", "archive:in/", "--wait");
        // A rerun (a cron job's next run) finds the jobs: they keep the first request's batch, and --wait follows them.
        var again = await Ferry("transfer", "partner:out/*.csv", $"{archive}:in/", "--wait");
        var batch = first.Stdout.Split(' ')[1].TrimEnd(':');
        var listed = await Ferry("jobs", "list", "--batch", batch, "--json");

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("3 jobs created, 0 already there", first.Stdout);
        Assert.Contains($"batch {batch}: 3 of 3 finished (SUCCEEDED 3)", first.Stderr);
        foreach (var (name, sum) in sums)
        {
            Assert.Equal(sum, await RandomData.Sha256OfFileAsync(Path.Combine(_archive, "in", name)));
        }

        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Contains("0 jobs created, 3 already there", again.Stdout);
        Assert.Contains("3 of 3 jobs finished (SUCCEEDED 3)", again.Stderr);
        Assert.Equal(0, listed.ExitCode);
        using var json = JsonDocument.Parse(listed.Stdout);
        var jobs = json.RootElement.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(3, jobs.Count);
        Assert.All(jobs, j => Assert.Equal("SUCCEEDED", j.GetProperty("status").GetString()));
        Assert.Equal(sums.Values.Order(), jobs.Select(j => j.GetProperty("sha256").GetString()!).Order());
        Assert.DoesNotContain(_server.ApiKey, first.Stdout + first.Stderr + listed.Stdout);
    }

    [Fact]
    public async Task Transfer_WhenAJobFails_ExitsOneNamingTheError_AndRedriveAndWatchFollowIt()
    {
        var partner = await _server.RegisterSftpAsync(rig.Sftp, "partner", _inbox);
        await _server.RegisterSftpAsync(rig.Sftp, "archive", _archive);
        await RandomData.WriteFileAsync(Path.Combine(_inbox, "report.csv"), 5_000, seed: 3);
        SftpServer.Chown(_inbox, rig.Sftp.Ed25519User);
        Directory.CreateDirectory(Path.Combine(_archive, "locked")); // root's: the SFTP user may not write in it

        var failed = await Ferry("transfer", $"{partner}:report.csv", "archive:locked/report.csv", "--wait", "--max-attempts", "1");
        var jobId = failed.Stdout.Split('\n')[2].Split(' ')[0];
        var shown = await Ferry("jobs", "show", jobId);
        var redriven = await Ferry("jobs", "redrive", jobId, "--json");
        using var redrive = JsonDocument.Parse(redriven.Stdout);
        var newJob = redrive.RootElement.GetProperty("job_id").GetString()!;
        var watched = await Ferry("jobs", "watch", newJob);

        Assert.True(failed.ExitCode == 1, failed.Stdout + failed.Stderr);
        Assert.StartsWith("job_", jobId);
        Assert.Contains($"{jobId}: FAILED, attempt 1", failed.Stderr); // one file: the job itself was followed
        Assert.Contains("FAILED", failed.Stdout);
        Assert.Contains("PERMISSION_DENIED", failed.Stdout);
        Assert.Equal(0, shown.ExitCode);
        Assert.Contains("status:      FAILED", shown.Stdout);
        Assert.Matches(@"\n  1 +\S+ \S+ +\S+ +local +failed +PERMISSION_DENIED", shown.Stdout);
        Assert.Equal(0, redriven.ExitCode);
        Assert.Equal(jobId, redrive.RootElement.GetProperty("redrive_of").GetString());
        Assert.Equal(1, watched.ExitCode);
        Assert.Contains($"{newJob}: FAILED", watched.Stderr);
        Assert.Contains("PERMISSION_DENIED", watched.Stdout);
        Assert.False(File.Exists(Path.Combine(_archive, "locked", "report.csv")));
    }

    [Fact]
    public async Task TransferWait_OfOneLargeFile_ShowsItGrowingAtTheTarget_UntilItSucceeds()
    {
        // A 6 s lease: the worker saves its checkpoint every 2 s; 40 MiB at 4 MiB/s takes about ten.
        await using var server = await ServedFerry.StartAsync(settings: "--Ferry:LeaseSeconds=6");
        await using var proxy = new FaultProxy(rig.Sftp.Host, rig.Sftp.Port, 4L * 1024 * 1024);
        await server.RegisterSftpAsync(rig.Sftp, "partner", _inbox, port: proxy.Port);
        await server.RegisterSftpAsync(rig.Sftp, "archive", _archive);
        var sha = await RandomData.WriteFileAsync(Path.Combine(_inbox, "big.bin"), 40L * 1024 * 1024, seed: 8);
        SftpServer.Chown(_inbox, rig.Sftp.Ed25519User);

        var waited = await FerryProcess.RunAsync(["transfer", "partner:big.bin", "archive:big.bin", "--wait"], server.Env);
        var jobId = System.Text.RegularExpressions.Regex.Match(waited.Stderr, "job_[0-9a-f]+").Value;
        var shown = await FerryProcess.RunAsync(["jobs", "show", jobId], server.Env);

        Assert.True(waited.ExitCode == 0, waited.Stdout + waited.Stderr);
        Assert.Matches($@"{jobId}: RUNNING, attempt 1, [0-9.]+ MiB of 40 MiB at the target \([0-9]+%\)", waited.Stderr);
        Assert.Contains($"{jobId}: SUCCEEDED", waited.Stderr);
        Assert.Contains("status:      SUCCEEDED", shown.Stdout);
        Assert.Contains(sha, shown.Stdout);
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(_archive, "big.bin")));
    }

    [Fact]
    public async Task Transfer_ToAServerThatRunsNoJobs_StopsWaitingWithThree_AndCancelEndsTheJob()
    {
        await using var apiOnly = await ServedFerry.StartAsync(workers: 0);
        await apiOnly.RegisterSftpAsync(rig.Sftp, "partner", _inbox);
        await apiOnly.RegisterSftpAsync(rig.Sftp, "archive", _archive);
        await RandomData.WriteFileAsync(Path.Combine(_inbox, "slow.bin"), 1_000, seed: 5);
        SftpServer.Chown(_inbox, rig.Sftp.Ed25519User);
        var keyFile = Path.Combine(_inbox, "key");
        await File.WriteAllTextAsync(keyFile, apiOnly.ApiKey + "\n");
        var byFile = new Dictionary<string, string> { ["FERRY_SERVER"] = "http://127.0.0.1:1/" }; // --server wins over the environment

        var waited = await FerryProcess.RunAsync(
            ["transfer", "partner:slow.bin", "archive:slow.bin", "--wait", "--timeout", "2", "--server", apiOnly.Url.ToString(), "--api-key-file", keyFile], byFile);
        var jobs = await FerryProcess.RunAsync(["jobs", "list", "--status", "queued", "--json"], apiOnly.Env);
        using var listed = JsonDocument.Parse(jobs.Stdout);
        var jobId = listed.RootElement.GetProperty("jobs")[0].GetProperty("job_id").GetString()!;
        var cancelled = await FerryProcess.RunAsync(["jobs", "cancel", jobId], apiOnly.Env);
        var watched = await FerryProcess.RunAsync(["jobs", "watch", jobId], apiOnly.Env);
        var redriveCancelled = await FerryProcess.RunAsync(["jobs", "redrive", jobId], apiOnly.Env);

        Assert.True(waited.ExitCode == 3, waited.Stdout + waited.Stderr);
        Assert.Contains("stopped waiting with 1 job(s) unfinished", waited.Stderr);
        Assert.Contains("QUEUED", waited.Stdout);
        Assert.Equal(0, cancelled.ExitCode);
        Assert.Matches($@"{jobId} +CANCELLED", cancelled.Stdout);
        Assert.Equal(1, watched.ExitCode);
        Assert.Equal(2, redriveCancelled.ExitCode);
        Assert.Contains("only FAILED and SUCCEEDED jobs can be re-driven", redriveCancelled.Stderr);
        Assert.False(File.Exists(Path.Combine(_archive, "slow.bin")));
    }

    [Fact]
    public async Task RemoteCommands_OnBadInputAKeyOrAServerMissing_SayWhatIsWrong_WithExitCodesForScripts()
    {
        var id = await _server.RegisterSftpAsync(rig.Sftp, "partner", _inbox);
        await _server.RegisterSftpAsync(rig.Sftp, "twin", _archive);
        await _server.RegisterSftpAsync(rig.Sftp, "twin", _inbox);

        var endpoints = await Ferry("endpoints", "list");
        var endpointsJson = await Ferry("endpoints", "list", "--json");
        var noColon = await Ferry("transfer", "partner", "twin:x");
        var absolute = await Ferry("transfer", "partner:/etc/passwd", $"{id}:x");
        var ambiguous = await Ferry("transfer", "partner:a", "twin:x");
        var unknownJob = await Ferry("jobs", "show", "job_nope");
        var noKey = await FerryProcess.RunAsync(["jobs", "list"], new Dictionary<string, string> { ["FERRY_SERVER"] = _server.Url.ToString() });
        var wrongKey = await FerryProcess.RunAsync(["jobs", "list"], new Dictionary<string, string> { ["FERRY_SERVER"] = _server.Url.ToString(), ["FERRY_API_KEY"] = "fry_not_a_key" });
        var nobody = await FerryProcess.RunAsync(["jobs", "list"], new Dictionary<string, string> { ["FERRY_SERVER"] = "http://127.0.0.1:1", ["FERRY_API_KEY"] = "k" });

        Assert.Equal(0, endpoints.ExitCode);
        Assert.Matches($@"\n{id} +partner +sftp +ACTIVE +sftp://{rig.Sftp.Ed25519User}@", endpoints.Stdout);
        using (var listed = JsonDocument.Parse(endpointsJson.Stdout))
        {
            // The server's JSON, with fields the command itself does not model (created_at).
            var all = listed.RootElement.GetProperty("endpoints").EnumerateArray().ToList();
            Assert.Equal(3, all.Count);
            Assert.All(all, e => Assert.Equal(JsonValueKind.String, e.GetProperty("created_at").ValueKind));
        }

        Assert.Equal((2, "ferry: source: 'partner' is not ENDPOINT:PATH (an endpoint id or name, a colon, a path under its base)\n"), (noColon.ExitCode, noColon.Stderr));
        Assert.Equal(2, absolute.ExitCode);
        Assert.Contains("source.path", absolute.Stderr);
        Assert.Equal(2, ambiguous.ExitCode);
        Assert.Contains("target: 2 endpoints are named 'twin'", ambiguous.Stderr);
        Assert.Equal(2, unknownJob.ExitCode);
        Assert.Contains("Job job_nope does not exist", unknownJob.Stderr);
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("no API key: set FERRY_API_KEY", noKey.Stderr);
        Assert.Equal(2, wrongKey.ExitCode);
        Assert.Contains("refused the API key (401)", wrongKey.Stderr);
        Assert.Equal(3, nobody.ExitCode);
        Assert.Contains("cannot reach the Ferry server at http://127.0.0.1:1/", nobody.Stderr);
        Assert.Empty(Directory.GetFiles(_archive));
    }

    [Fact]
    public async Task RemoteCommands_OverHttps_TrustWhatSslCertFileNames_AndSayHowWhenTheyCannot()
    {
        using var certificate = TestCertificate.SelfSignedForLoopback();
        await using var https = await ServedFerry.StartAsync(workers: 0, tls: certificate);

        var untrusted = await FerryProcess.RunAsync(["endpoints", "list"], https.Env);
        var trusted = await FerryProcess.RunAsync(["endpoints", "list"], new Dictionary<string, string>(https.Env) { ["SSL_CERT_FILE"] = https.CertificateFile });

        Assert.StartsWith("https://", https.Url.ToString());
        Assert.Equal(3, untrusted.ExitCode);
        Assert.Contains("certificate", untrusted.Stderr);
        Assert.Contains("name the CA's PEM file in SSL_CERT_FILE", untrusted.Stderr);
        Assert.DoesNotContain("see inner exception", untrusted.Stderr);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        Assert.StartsWith("ENDPOINT  NAME", trusted.Stdout);
    }
}
