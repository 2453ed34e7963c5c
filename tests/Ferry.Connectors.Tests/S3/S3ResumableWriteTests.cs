using Ferry.Connectors.S3;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.S3;

/// <summary>Multipart uploads that an interrupted write leaves behind, continued or discarded, against Ceph RGW.</summary>
[Collection("rig")]
public sealed class S3ResumableWriteTests(Rig rig) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private const long Length = 30 * MiB + 123;
    private string _bucket = "";

    public async Task InitializeAsync() => _bucket = await rig.S3.NewBucketAsync();

    public Task DisposeAsync() => rig.S3.DeleteBucketAsync(_bucket);

    /// <summary>5 MiB parts, three in flight: a 30 MiB file is seven parts.</summary>
    private S3Connector Small() =>
        new(rig.S3.Options(_bucket) with { MinPartSize = 5 * MiB, SinglePutMax = 5 * MiB, MemoryBudget = 15 * MiB, MaxPartsInFlight = 3 });

    [Fact]
    public async Task InterruptedWrite_KeepsItsUpload_AndResumesIntoAByteExactObject_ReadingOnlyTheRest()
    {
        await using var c = Small();
        var checkpoint = await InterruptedWriteAsync(c, "resumed.bin", failAfter: 17 * MiB);

        Assert.InRange(checkpoint.Offset, 5 * MiB, 15 * MiB);
        Assert.Equal(0, checkpoint.Offset % (5 * MiB));
        Assert.Single((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads);
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));

        var rest = await FailingStream.SkipAsync(new RandomData(Length, 5), checkpoint.Offset);
        var counted = new FailingStream(rest, long.MaxValue);
        var later = new List<WriteCheckpoint>();
        var result = await c.WriteAsync("resumed.bin", counted, Length, new WriteOptions(ResumeFrom: checkpoint, Checkpointed: later.Add), default);

        Assert.Equal(Length - checkpoint.Offset, counted.Position);
        Assert.Equal(await RandomData.Sha256Async(Length, 5), result.Sha256);
        Assert.True(result.ServerVerified, "the ETag of the resumed object should match the part MD5s");
        Assert.EndsWith("-7", result.ETag);
        Assert.All(later, l => Assert.True(l.Offset > checkpoint.Offset && l.Offset < Length));
        using var get = await rig.S3.Client.GetObjectAsync(_bucket, "resumed.bin");
        Assert.Equal(result.Sha256, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(get.ResponseStream)));
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
    }

    [Fact]
    public async Task TheFirstCheckpoint_NamesTheUploadBeforeAnyPart_AndResumingIt_RewritesEveryPart()
    {
        await using var c = Small();
        var first = (await CheckpointsOfInterruptedWriteAsync(c, "again.bin", failAfter: 12 * MiB))[0];

        // Parts 1 and 2 were stored after this checkpoint: they are simply sent again.
        Assert.True(await c.CanResumeAsync(first, Length, default));
        var result = await c.WriteAsync("again.bin", new RandomData(Length, 5), Length, new WriteOptions(ResumeFrom: first, Checkpointed: _ => { }), default);

        Assert.Equal(await RandomData.Sha256Async(Length, 5), result.Sha256);
        Assert.True(result.ServerVerified);
        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
        // The upload is completed now: its checkpoint no longer resumes anything.
        Assert.False(await c.CanResumeAsync(first, Length, default));
    }

    [Fact]
    public async Task Discard_AbortsTheUpload_AndItCannotBeResumedAfterwards()
    {
        await using var c = Small();
        var checkpoint = await InterruptedWriteAsync(c, "discarded.bin", failAfter: 12 * MiB);

        await c.DiscardAsync(checkpoint, default);
        await c.DiscardAsync(checkpoint, default); // already gone is fine

        Assert.Empty((await rig.S3.Client.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? []);
        Assert.False(await c.CanResumeAsync(checkpoint, Length, default));
        Assert.Null(await c.StatAsync("discarded.bin", default));
    }

    [Fact]
    public async Task CanResume_CheckpointThatDoesNotMatchTheUpload_IsFalse()
    {
        await using var c = Small();
        var checkpoint = await InterruptedWriteAsync(c, "mismatch.bin", failAfter: 17 * MiB);
        var upload = MultipartCheckpoint.TryParse(checkpoint.Store)!;

        // Another file size (another part plan), another path, a hash state for other bytes, parts the store does not hold.
        Assert.False(await c.CanResumeAsync(checkpoint, 60_000 * MiB, default));
        Assert.False(await c.CanResumeAsync(checkpoint with { Path = "other.bin" }, Length, default));
        Assert.False(await c.CanResumeAsync(checkpoint with { Offset = checkpoint.Offset - 5 * MiB }, Length, default));
        Assert.False(await c.CanResumeAsync(checkpoint with { Store = (upload with { ETagsDigest = new string('0', 64) }).Serialize() }, Length, default));
        Assert.False(await c.CanResumeAsync(checkpoint with { Store = "{}" }, Length, default));
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));
        await c.DiscardAsync(checkpoint, default);
    }

    [Fact]
    public async Task UploadAbortedElsewhereMidWrite_FailsTransiently_AndAResumeOfItIsRefused()
    {
        await using var c = Small();
        var checkpoints = new List<WriteCheckpoint>();
        var aborted = false;
        var source = new CallbackStream(new RandomData(Length, 5), at: 12 * MiB, () =>
        {
            // Someone else (a lifecycle rule, a worker that took the job over) aborts the upload.
            var upload = MultipartCheckpoint.TryParse(checkpoints[0].Store)!;
            rig.S3.Client.AbortMultipartUploadAsync(_bucket, "gone.bin", upload.UploadId).GetAwaiter().GetResult();
            aborted = true;
        });

        var ex = await Assert.ThrowsAsync<Core.Errors.FerryException>(() =>
            c.WriteAsync("gone.bin", source, Length, new WriteOptions(Checkpointed: checkpoints.Add), default));

        Assert.True(aborted);
        Assert.Equal((Core.Errors.ErrorCodes.UploadGone, Core.Errors.ErrorKind.Transient), (ex.Code, ex.Kind));
        Assert.False(await c.CanResumeAsync(checkpoints[^1], Length, default));
        var resumed = await Assert.ThrowsAsync<Core.Errors.FerryException>(async () =>
            await c.WriteAsync("gone.bin", await FailingStream.SkipAsync(new RandomData(Length, 5), checkpoints[^1].Offset), Length,
                new WriteOptions(ResumeFrom: checkpoints[^1]), default));
        Assert.Equal(Core.Errors.ErrorCodes.ResumeFailed, resumed.Code);
        Assert.Null(await c.StatAsync("gone.bin", default));
    }

    [Fact]
    public async Task ACallerThatStopsBeforeCompletion_CompletesNothing_KeepsTheUpload_AndGetsItsOwnException()
    {
        await using var c = Small();
        var checkpoints = new List<WriteCheckpoint>();
        var stopped = new InvalidOperationException("lease lost");
        var options = new WriteOptions(Checkpointed: checkpoints.Add, BeforeCompleting: _ => throw stopped);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => c.WriteAsync("late.bin", new RandomData(Length, 5), Length, options, default));

        Assert.Same(stopped, ex);
        Assert.Null(await c.StatAsync("late.bin", default));
        // Kept for whoever holds the job now: it continues the upload instead of starting another.
        Assert.True(await c.CanResumeAsync(checkpoints[^1], Length, default));
        await c.DiscardAsync(checkpoints[^1], default);
    }

    /// <summary>Runs <paramref name="action"/> once, when reading passes <paramref name="at"/> bytes.</summary>
    private sealed class CallbackStream(Stream inner, long at, Action action) : Core.Streams.ReadOnlyStream
    {
        private long _read;
        private bool _done;

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            _read += n;
            if (!_done && _read >= at)
            {
                _done = true;
                action();
            }

            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    }

    /// <summary>A write whose source breaks after <paramref name="failAfter"/> bytes; returns the last checkpoint it reported.</summary>
    private static async Task<WriteCheckpoint> InterruptedWriteAsync(S3Connector c, string path, long failAfter) =>
        (await CheckpointsOfInterruptedWriteAsync(c, path, failAfter))[^1];

    private static async Task<List<WriteCheckpoint>> CheckpointsOfInterruptedWriteAsync(S3Connector c, string path, long failAfter)
    {
        var checkpoints = new List<WriteCheckpoint>();
        var failing = new FailingStream(new RandomData(Length, 5), failAfter);

        await Assert.ThrowsAsync<IOException>(() => c.WriteAsync(path, failing, Length, new WriteOptions(Checkpointed: checkpoints.Add), default));

        Assert.NotEmpty(checkpoints);
        Assert.Equal(0, checkpoints[0].Offset); // the upload is announced before any part is sent
        Assert.Equal(checkpoints.Select(k => k.Offset).Order(), checkpoints.Select(k => k.Offset));
        return checkpoints;
    }
}
