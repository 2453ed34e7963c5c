using Ferry.Core.Transfers;
using Ferry.Engine.Flows;
using Ferry.TestRig;

namespace Ferry.Engine.Tests.Flows;

/// <summary>Each of the four flows, byte-exact, at 1 KB, 10 MB and 300 MB, against the real servers.</summary>
[Collection("rig")]
public sealed class FourFlowsTests(Rig rig)
{
    public static TheoryData<long> Sizes => [1024, 10L * 1024 * 1024, 300L * 1024 * 1024];

    private readonly TransferRunner _runner = new();

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task SftpToS3_StreamsIntoMultipartByteExact(long size)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutSftpSourceAsync("in/data.bin", size, seed: 10);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "in/data.bin"), new TransferLocation(f.S3("out"), "data.bin"), "job-sftp-s3"), default);

        Assert.Equal(("sftp-to-s3", FlowStrategy.Streaming, size, sha), (result.Flow, result.Strategy, result.Bytes, result.Sha256));
        Assert.Equal(sha, await f.Sha256OfS3Async("out/data.bin"));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task S3ToSftp_DeliversAtomicallyByteExact(long size)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutS3SourceAsync("in/data.bin", size, seed: 11);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3(), "in/data.bin"), new TransferLocation(f.TargetSftp(), "out/data.bin"), "job-s3-sftp"), default);

        Assert.Equal(("s3-to-sftp", FlowStrategy.Streaming, size, sha), (result.Flow, result.Strategy, result.Bytes, result.Sha256));
        Assert.Equal(sha, await f.Sha256OfTargetSftpAsync("out/data.bin"));
        Assert.Equal(["data.bin"], Directory.GetFiles(f.TargetSftpLocalPath("out")).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task S3ToS3_SameStore_CopiesServerSideByteExact(long size)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutS3SourceAsync("in/data.bin", size, seed: 12);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3("in"), "data.bin"), new TransferLocation(f.S3("out"), "copy.bin"), "job-s3-s3"), default);

        Assert.Equal(("s3-to-s3", FlowStrategy.ServerSideCopy, size), (result.Flow, result.Strategy, result.Bytes));
        Assert.Equal(sha, await f.Sha256OfS3Async("out/copy.bin"));
    }

    [Fact]
    public async Task S3ToS3_ObjectFerryDidNotWrite_TheCopysETagIsTheVerification()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutS3SourceAsync("in/plain.bin", 1024 * 1024, seed: 16);
        var target = new InstrumentedConnector(f.S3("out"));

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3("in"), "plain.bin"), new TransferLocation(target, "copy.bin"), "job-s3-plain"), default);

        // No SHA-256 is recorded for an object Ferry did not write, and none is invented; the
        // copier's HEAD matched the source's ETag, so VERIFYING does not ask the store again.
        Assert.Equal((FlowStrategy.ServerSideCopy, (string?)null, 0), (result.Strategy, result.Sha256, target.Stats));
        Assert.Equal(sha, await f.Sha256OfS3Async("out/copy.bin"));
    }

    [Theory]
    [InlineData(VerifyMode.Checksum, 0)]
    [InlineData(VerifyMode.ReadBack, 1)]
    public async Task TheDeliveredHook_RunsOnlyBeforeAVerificationThatAsksTheTarget(VerifyMode verify, int calls)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        await f.PutSftpSourceAsync("in/small.bin", 1024, seed: 17);
        var delivered = 0;
        var hooks = new TransferHooks(Delivered: (_, _, _) => { delivered++; return Task.CompletedTask; });

        // A PUT checked against its Content-MD5 settles the checksum check; a read-back still has to ask.
        await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "in/small.bin"), new TransferLocation(f.S3("out"), "small.bin"), "job-hook",
            new TransferPolicy(Verify: verify), Hooks: hooks), default);

        Assert.Equal(calls, delivered);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task SftpToSftp_GoesThroughStagingByteExactAndCleansUp(long size)
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var sha = await f.PutSftpSourceAsync("in/data.bin", size, seed: 13);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "in/data.bin"), new TransferLocation(f.TargetSftp(), "out/data.bin"), "job-sftp-sftp",
            Staging: f.Staging()), default);

        Assert.Equal(("sftp-to-sftp", FlowStrategy.Staged, size, sha), (result.Flow, result.Strategy, result.Bytes, result.Sha256));
        Assert.Equal(sha, await f.Sha256OfTargetSftpAsync("out/data.bin"));
        Assert.Empty(Directory.GetFileSystemEntries(f.StagingDirectory, "*", SearchOption.AllDirectories)); // nor the transfer's directory
    }

    [Fact]
    public async Task SftpToSftp_WithS3Staging_DeliversAndRemovesTheStagedObject()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var size = 40L * 1024 * 1024;
        var sha = await f.PutSftpSourceAsync("in/data.bin", size, seed: 15);

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.SourceSftp(), "in/data.bin"), new TransferLocation(f.TargetSftp(), "out/data.bin"), "job-s3-staging",
            Staging: f.S3("staging")), default);

        Assert.Equal((FlowStrategy.Staged, sha), (result.Strategy, result.Sha256));
        Assert.Equal(sha, await f.Sha256OfTargetSftpAsync("out/data.bin"));
        Assert.Null(await f.S3SizeAsync("staging/job-s3-staging/data.bin"));
    }

    [Fact]
    public async Task S3ToS3_DifferentEndpoints_FallsBackToStreaming()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var size = 20L * 1024 * 1024;
        var sha = await f.PutS3SourceAsync("in/data.bin", size, seed: 14);
        // The same server under another address is, as far as Ferry can tell, another store.
        var otherAddress = f.S3Options("out") with { ServiceUrl = rig.S3.Endpoint.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) };

        var result = await _runner.RunAsync(new TransferRequest(
            new TransferLocation(f.S3("in"), "data.bin"), new TransferLocation(f.S3(options: otherAddress), "copy.bin"), "job-s3-s3-stream"), default);

        Assert.Equal((FlowStrategy.Streaming, sha), (result.Strategy, result.Sha256));
        Assert.Equal(sha, await f.Sha256OfS3Async("out/copy.bin"));
    }
}
