using Amazon.S3.Model;
using Ferry.Connectors.S3;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.S3;

/// <summary>S3 behaviour beyond the shared contract, against Ceph RGW.</summary>
[Collection("rig")]
public sealed class S3ConnectorTests(Rig rig) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private string _bucket = "";

    public async Task InitializeAsync() => _bucket = await rig.S3.NewBucketAsync();

    public Task DisposeAsync() => rig.S3.DeleteBucketAsync(_bucket);

    private S3Connector Small(string prefix = "") =>
        new(rig.S3.Options(_bucket, prefix) with { MinPartSize = 5 * MiB, SinglePutMax = 5 * MiB, MemoryBudget = 15 * MiB, MaxPartsInFlight = 3 });

    [Fact]
    public async Task Write_AboveSinglePutMax_UsesMultipartAndVerifiesETagEndToEnd()
    {
        await using var c = Small();
        var length = 23 * MiB + 17;

        var result = await c.WriteAsync("big.bin", new RandomData(length, 1), length, WriteOptions.Default, default);

        Assert.True(result.ServerVerified);
        Assert.EndsWith("-5", result.ETag);
        Assert.Equal(await RandomData.Sha256Async(length, 1), result.Sha256);
        var head = await rig.S3.Client.GetObjectMetadataAsync(_bucket, "big.bin");
        Assert.Equal(length, head.ContentLength);
        using var get = await rig.S3.Client.GetObjectAsync(_bucket, "big.bin");
        Assert.Equal(result.Sha256, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(get.ResponseStream)));
    }

    [Fact]
    public async Task Write_SourceFailsMidMultipart_LeavesNoObjectAndNoPendingUpload()
    {
        await using var c = Small();
        var length = 30 * MiB;
        var failing = new FailingStream(new RandomData(length, 2), failAfter: 12 * MiB);

        var ex = await Assert.ThrowsAsync<IOException>(() => c.WriteAsync("broken.bin", failing, length, WriteOptions.Default, default));

        Assert.Contains("simulated", ex.Message);
        Assert.Null(await c.StatAsync("broken.bin", default));
        var pending = await rig.S3.Client.ListMultipartUploadsAsync(_bucket);
        Assert.Empty(pending.MultipartUploads ?? []);
    }

    [Fact]
    public async Task Write_SmallBodySentWithoutWaitingForContinue_LargeOneAsksFirst()
    {
        var s3 = new Uri(rig.S3.Endpoint);
        await using var proxy = new FaultProxy(s3.Host, s3.Port);
        await using var c = new S3Connector(rig.S3.Options(_bucket) with { ServiceUrl = $"http://{s3.Host}:{proxy.Port}", MinPartSize = 5 * MiB, SinglePutMax = 5 * MiB });
        var large = 3 * MiB;

        await c.WriteAsync("small.bin", new RandomData(1024, 7), 1024, WriteOptions.Default, default);
        await c.WriteAsync("large.bin", new RandomData(large, 8), large, WriteOptions.Default, default);

        string Put(string key) => Assert.Single(proxy.HttpRequestHeads, h => h.StartsWith($"PUT /{_bucket}/{key} ", StringComparison.Ordinal));
        Assert.DoesNotContain("expect:", Put("small.bin"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expect: 100-continue", Put("large.bin"), StringComparison.OrdinalIgnoreCase);
        foreach (var (key, length, seed) in new[] { ("small.bin", 1024L, 7), ("large.bin", large, 8) })
        {
            using var get = await rig.S3.Client.GetObjectAsync(_bucket, key);
            Assert.Equal(await RandomData.Sha256Async(length, seed), Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(get.ResponseStream)));
        }
    }

    [Fact]
    public async Task Write_SmallObject_RecordsSha256InMetadata()
    {
        await using var c = Small();

        var result = await c.WriteAsync("small.txt", new MemoryStream("abc"u8.ToArray()), 3, WriteOptions.Default, default);

        var entry = await c.StatAsync("small.txt", default);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", entry!.Sha256);
        Assert.Equal(entry.Sha256, result.Sha256);
        Assert.True(result.ServerVerified);
    }

    [Fact]
    public async Task Write_MultipartWithKnownSha256_RecordsItInMetadata()
    {
        await using var c = Small();
        var length = 11 * MiB;
        var sha = await RandomData.Sha256Async(length, 3);

        await c.WriteAsync("known.bin", new RandomData(length, 3), length, new WriteOptions(Sha256: sha), default);

        Assert.Equal(sha, (await c.StatAsync("known.bin", default))!.Sha256);
    }

    [Fact]
    public async Task Write_MultipartWithWrongExpectedSha256_CompletesNothing()
    {
        await using var c = Small();
        var length = 11 * MiB;

        var ex = await Assert.ThrowsAsync<FerryException>(() =>
            c.WriteAsync("wrong.bin", new RandomData(length, 4), length, new WriteOptions(Sha256: new string('a', 64)), default));

        Assert.Equal(ErrorCodes.ChecksumMismatch, ex.Code);
        Assert.Null(await c.StatAsync("wrong.bin", default));
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
    }

    [Fact]
    public async Task ServerSideCopy_SmallObject_KeepsContentAndSha256()
    {
        await using var source = Small("src");
        await using var target = Small("dst");
        await source.WriteAsync("a.txt", new MemoryStream("copy me"u8.ToArray()), 7, WriteOptions.Default, default);

        Assert.True(target.CanCopyFrom(source));
        var result = await target.CopyFromAsync(source, "a.txt", "b/a.txt", WriteOptions.Default, default);

        Assert.True(result.ServerVerified);
        var copied = await target.StatAsync("b/a.txt", default);
        Assert.Equal(7, copied!.Size);
        Assert.Equal((await source.StatAsync("a.txt", default))!.Sha256, copied.Sha256);
    }

    [Fact]
    public async Task ServerSideCopy_AboveCopyObjectMax_UsesUploadPartCopyAndVerifiesETag()
    {
        await using var source = Small("src");
        await using var target = new S3Connector(rig.S3.Options(_bucket, "dst") with { CopyObjectMax = 8 * MiB, CopyPartSize = 5 * MiB });
        var length = 21 * MiB + 5;
        var sha = await RandomData.Sha256Async(length, 5);
        await source.WriteAsync("big.bin", new RandomData(length, 5), length, new WriteOptions(Sha256: sha), default);

        var result = await target.CopyFromAsync(source, "big.bin", "big-copy.bin", WriteOptions.Default, default);

        Assert.True(result.ServerVerified);
        Assert.EndsWith("-5", result.ETag);
        Assert.Equal(sha, result.Sha256);
        using var get = await rig.S3.Client.GetObjectAsync(_bucket, "dst/big-copy.bin");
        Assert.Equal(sha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(get.ResponseStream)));
    }

    [Fact]
    public void CanCopyFrom_OtherCredentials_IsFalse()
    {
        var a = Small();
        var b = new S3Connector(rig.S3.Options(_bucket) with { AccessKeyId = "someone-else" });

        Assert.False(a.CanCopyFrom(b));
    }

    [Fact]
    public async Task WrongSecret_FailsAuthenticationPermanently()
    {
        await using var c = new S3Connector(rig.S3.Options(_bucket, secretKey: "wrong-secret"));

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorCodes.AuthenticationFailed, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task AnotherUsersBucket_FailsPermissionDeniedPermanently()
    {
        await using (var owner = Small())
        {
            await owner.WriteAsync("private.txt", new MemoryStream("secret"u8.ToArray()), 6, WriteOptions.Default, default);
        }

        await using var stranger = new S3Connector(rig.S3.Options(_bucket, accessKey: rig.S3.OtherAccessKey, secretKey: rig.S3.OtherSecretKey));

        var stat = await Assert.ThrowsAsync<FerryException>(() => stranger.StatAsync("private.txt", default));
        var read = await Assert.ThrowsAsync<FerryException>(() => stranger.OpenReadAsync("private.txt", 0, null, default));
        var write = await Assert.ThrowsAsync<FerryException>(() =>
            stranger.WriteAsync("intruder.txt", new MemoryStream("x"u8.ToArray()), 1, WriteOptions.Default, default));

        Assert.All(new[] { stat, read, write }, e => Assert.Equal((ErrorCodes.PermissionDenied, ErrorKind.Permanent), (e.Code, e.Kind)));
    }

    [Fact]
    public async Task MissingBucket_FailsNotFoundPermanently()
    {
        await using var c = new S3Connector(rig.S3.Options("no-such-bucket-" + Guid.NewGuid().ToString("N")[..6]));

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.CheckAsync(default));

        Assert.True(ex.Code == ErrorCodes.NotFound, ex.Message);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task NothingListening_FailsConnectionTransiently()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        await using var c = new S3Connector(rig.S3.Options(_bucket) with { ServiceUrl = $"http://127.0.0.1:{port}" });

        var ex = await Assert.ThrowsAsync<FerryException>(() => c.StatAsync("x", default));

        Assert.Equal(ErrorKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task PendingUploads_CanBeListedAndAbortedThroughTheCapability()
    {
        await using var c = Small("pend");
        var started = await rig.S3.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "pend/orphan.bin" });
        var uploads = c.GetCapability<IMultipartUploads>()!;

        var pending = new List<PendingUpload>();
        await foreach (var u in uploads.ListPendingAsync("", default))
        {
            pending.Add(u);
        }

        Assert.Equal([("orphan.bin", started.UploadId)], pending.Select(p => (p.Path, p.UploadId)));
        await uploads.AbortAsync(pending[0], default);
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
    }
}
