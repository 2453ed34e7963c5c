using Ferry.Core.Errors;
using Ferry.Core.Transfers;
using Ferry.Engine.Flows;
using Ferry.TestRig;

namespace Ferry.Engine.Tests.Flows;

/// <summary>Overwrite modes, atomic delivery, verification and progress, against the real servers.</summary>
[Collection("rig")]
public sealed class DeliveryBehaviourTests(Rig rig)
{
    private readonly TransferRunner _runner = new();

    [Fact]
    public async Task AtomicDelivery_ConcurrentReaderNeverSeesAPartialFileUnderTheFinalName()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        const long size = 200L * 1024 * 1024;
        const long oldSize = 1234;
        await f.PutS3SourceAsync("big.bin", size, seed: 20);
        var target = f.TargetSftpLocalPath("drop/big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target, new byte[oldSize]);
        SftpServer.Chown(Path.GetDirectoryName(target)!, f.TargetSftpOptions.Username);

        using var stop = new CancellationTokenSource();
        var seen = new HashSet<long>();
        var samples = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var s = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    seen.Add(s.Length);
                    samples++;
                }
                catch (FileNotFoundException)
                {
                    seen.Add(-1);
                }

                await Task.Delay(2);
            }
        });

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3(), "big.bin"), new TransferLocation(f.TargetSftp(), "drop/big.bin"), "job-atomic"), default);
        await Task.Delay(50);
        await stop.CancelAsync();
        await reader;

        Assert.Equal(size, result.Bytes);
        Assert.True(samples > 20, $"the reader sampled only {samples} times");
        Assert.Subset(new HashSet<long> { oldSize, size }, seen);
        Assert.Contains(oldSize, seen);
        Assert.Contains(size, seen);
    }

    [Fact]
    public async Task FailIfExists_TargetPresent_FailsAlreadyExistsAndLeavesTargetAlone()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        await f.PutS3SourceAsync("a.bin", 1000, seed: 21);
        var target = f.TargetSftpLocalPath("a.bin");
        await File.WriteAllTextAsync(target, "keep me");

        var ex = await Assert.ThrowsAsync<FerryException>(() => _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3(), "a.bin"), new TransferLocation(f.TargetSftp(), "a.bin"), "job-fail",
            new TransferPolicy(Overwrite: OverwriteMode.FailIfExists)), default));

        Assert.Equal(ErrorCodes.AlreadyExists, ex.Code);
        Assert.Equal("keep me", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task FailIfExists_S3TargetPresent_FailsAlreadyExists()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        await f.PutSftpSourceAsync("a.bin", 1000, seed: 22);
        await f.PutS3SourceAsync("out/a.bin", 10, seed: 23);

        var ex = await Assert.ThrowsAsync<FerryException>(() => _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "a.bin"), new TransferLocation(f.S3("out"), "a.bin"), "job-fail-s3",
            new TransferPolicy(Overwrite: OverwriteMode.FailIfExists)), default));

        Assert.Equal(ErrorCodes.AlreadyExists, ex.Code);
        Assert.Equal(10, await f.S3SizeAsync("out/a.bin"));
    }

    [Fact]
    public async Task SkipIfIdentical_SameContent_SkipsAndDifferentContent_Replaces()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutSftpSourceAsync("a.bin", 5000, seed: 24);
        var policy = new TransferPolicy(Overwrite: OverwriteMode.SkipIfIdentical);
        TransferRequest Request(string id) => new(new TransferLocation(f.SourceSftp(), "a.bin"), new TransferLocation(f.S3(), "a.bin"), id, policy);

        var first = await _runner.RunAsync(Request("job-1"), default);
        var second = await _runner.RunAsync(Request("job-2"), default);
        await f.PutSftpSourceAsync("a.bin", 5000, seed: 25);
        var third = await _runner.RunAsync(Request("job-3"), default);

        Assert.Equal((false, true, false), (first.Skipped, second.Skipped, third.Skipped));
        Assert.Equal(sha, second.Sha256);
        Assert.Equal(await RandomData.Sha256Async(5000, 25), await f.Sha256OfS3Async("a.bin"));
    }

    [Fact]
    public async Task ReadBackVerification_HashesTheDeliveredFile()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutSftpSourceAsync("a.bin", 3 * 1024 * 1024, seed: 26);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "a.bin"), new TransferLocation(f.TargetSftp(), "b.bin"), "job-readback",
            new TransferPolicy(Verify: VerifyMode.ReadBack), Staging: f.Staging()), default);

        Assert.Equal(sha, result.Sha256);
    }

    [Fact]
    public async Task Progress_ReportsRisingBytesEndingAtTheFileSize()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        const long size = 64L * 1024 * 1024;
        await f.PutSftpSourceAsync("a.bin", size, seed: 27);
        var reports = new List<TransferProgress>();

        await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "a.bin"), new TransferLocation(f.S3(), "a.bin"), "job-progress",
            Progress: p => { lock (reports) { reports.Add(p); } }), default);

        Assert.Equal(size, reports[^1].Bytes);
        Assert.Equal(size, reports[^1].TotalBytes);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Bytes <= p.Second.Bytes));
    }

    [Fact]
    public async Task SftpToSftp_DeliveryFailsWhileStaging_DeliversFromStagingWithoutRereadingTheSource()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        const long size = 30L * 1024 * 1024;
        var sha = await f.PutSftpSourceAsync("a.bin", size, seed: 29);
        var flaky = new InstrumentedConnector(f.TargetSftp(), failFirstWriteAfter: 5L * 1024 * 1024);
        var sourceReads = new InstrumentedConnector(f.SourceSftp());

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(sourceReads, "a.bin"), new TransferLocation(flaky, "out/a.bin"), "job-redeliver", Staging: f.Staging()), default);

        Assert.Equal(sha, result.Sha256);
        Assert.Equal(sha, await f.Sha256OfTargetSftpAsync("out/a.bin"));
        Assert.Equal(2, flaky.Writes);
        Assert.Equal(1, sourceReads.Opens);
        Assert.Contains(result.Notes, n => n.Contains("delivered again from the staged copy"));
        Assert.Equal(["a.bin"], Directory.GetFiles(f.TargetSftpLocalPath("out")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(f.StagingDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task MissingSource_FailsNotFoundPermanentlyAndWritesNothing()
    {
        await using var f = await FlowFixture.CreateAsync(rig);

        var ex = await Assert.ThrowsAsync<FerryException>(() => _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "nope.bin"), new TransferLocation(f.S3(), "nope.bin"), "job-missing"), default));

        Assert.Equal((ErrorCodes.NotFound, ErrorKind.Permanent), (ex.Code, ex.Kind));
        Assert.Null(await f.S3SizeAsync("nope.bin"));
    }

    [Theory]
    [InlineData("sftp")] // checked before the rename of the part file
    [InlineData("s3")] // checked before the multipart upload completes
    public async Task SourceTouchedWhileRead_IsSourceChanged_AndNothingIsDelivered(string target)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        // Large enough that the transfer is still reading when the first progress report comes.
        await f.PutSftpSourceAsync("touched.bin", 256L * 1024 * 1024, seed: 29);
        var local = Path.Combine(f.SourceSftpOptions.BasePath, "touched.bin");
        var touched = 0;

        // Same size, another time: only the look the read takes at its end can tell.
        var ex = await Assert.ThrowsAsync<FerryException>(() => _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "touched.bin"), new TransferLocation(target == "s3" ? f.S3() : f.TargetSftp(), "touched.bin"), "job-touched",
            Progress: p =>
            {
                if (p.Bytes < p.TotalBytes && Interlocked.Exchange(ref touched, 1) == 0)
                {
                    File.SetLastWriteTimeUtc(local, DateTime.UtcNow.AddHours(-1));
                }
            }), default));

        Assert.Equal(1, touched);
        Assert.Equal((ErrorKind.Transient, ErrorCodes.SourceChanged), (ex.Kind, ex.Code));
        Assert.Empty(Directory.GetFiles(f.TargetSftpOptions.BasePath));
        Assert.Null(await f.S3SizeAsync("touched.bin"));
    }

    [Fact]
    public async Task SourceGrowingDuringTransfer_FailsTransientlyAndDeliversNothing()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        // Large enough that the transfer is still reading when the first progress report comes.
        await f.PutSftpSourceAsync("growing.bin", 256L * 1024 * 1024, seed: 28);
        var local = Path.Combine(f.SourceSftpOptions.BasePath, "growing.bin");
        var appended = 0;

        // Progress is reported from the reading path, so the append lands while the source is being read.
        var ex = await Assert.ThrowsAsync<FerryException>(() => _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "growing.bin"), new TransferLocation(f.TargetSftp(), "growing.bin"), "job-growing",
            Progress: p =>
            {
                if (p.Bytes < p.TotalBytes && Interlocked.Exchange(ref appended, 1) == 0)
                {
                    using var append = new FileStream(local, FileMode.Append);
                    append.Write(new byte[4096]);
                }
            }), default));

        Assert.Equal(1, appended);
        Assert.Equal(ErrorKind.Transient, ex.Kind);
        Assert.Contains(ex.Code, new[] { ErrorCodes.SizeMismatch, ErrorCodes.SourceChanged });
        Assert.False(File.Exists(f.TargetSftpLocalPath("growing.bin")));
        Assert.Empty(Directory.GetFiles(f.TargetSftpOptions.BasePath));
    }
}
