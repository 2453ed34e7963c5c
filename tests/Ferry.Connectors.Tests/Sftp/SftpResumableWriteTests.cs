using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Sftp;

/// <summary>Part files an interrupted write leaves behind, continued or discarded, against OpenSSH.</summary>
[Collection("rig")]
public sealed class SftpResumableWriteTests(Rig rig)
{
    private const long MiB = 1024 * 1024;
    private const long Length = 30 * MiB + 123;

    [Fact]
    public async Task InterruptedWrite_KeepsItsPartFile_AndContinuesItByteExact_ReadingOnlyTheRest()
    {
        Assert.True(SftpConnector.WriterUnavailable is null, SftpConnector.WriterUnavailable);
        var options = rig.Sftp.KeyUser();
        await using var c = new SftpConnector(options);
        var checkpoint = await InterruptedWriteAsync(c, "out.bin.part", failAfter: 21 * MiB);

        Assert.InRange(checkpoint.Offset, SftpUploadCheckpoints.Interval, 21 * MiB);
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));

        var rest = await FailingStream.SkipAsync(new RandomData(Length, 7), checkpoint.Offset);
        var counted = new FailingStream(rest, long.MaxValue);
        var later = new List<WriteCheckpoint>();
        var result = await c.WriteAsync("out.bin.part", counted, Length, new WriteOptions(ResumeFrom: checkpoint, Checkpointed: later.Add), default);

        Assert.Equal(Length - checkpoint.Offset, counted.Position);
        var sha = await RandomData.Sha256Async(Length, 7);
        Assert.Equal((Length, sha), (result.Size, result.Sha256));
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(options.BasePath, "out.bin.part")));
        // The resumed write takes checkpoints too (it may be interrupted again), never at the end.
        Assert.NotEmpty(later);
        Assert.All(later, l => Assert.InRange(l.Offset, checkpoint.Offset + 1, Length - 1));
    }

    [Fact]
    public async Task ANewWrite_AnnouncesItsPartFileAtOnce_AndDiscardRemovesIt()
    {
        var options = rig.Sftp.KeyUser();
        await using var c = new SftpConnector(options);
        var checkpoint = await InterruptedWriteAsync(c, "gone.bin.part", failAfter: 3 * MiB);

        Assert.Equal(0, checkpoint.Offset); // less than 8 MiB confirmed: only the announcement
        Assert.True(File.Exists(Path.Combine(options.BasePath, "gone.bin.part")));
        await c.DiscardAsync(checkpoint, default);
        await c.DiscardAsync(checkpoint, default); // already gone is fine

        Assert.False(File.Exists(Path.Combine(options.BasePath, "gone.bin.part")));
        Assert.False(await c.CanResumeAsync(checkpoint, Length, default));
    }

    [Fact]
    public async Task CanResume_PartFileShorterThanTheCheckpoint_OrStateOfOtherBytes_IsFalse()
    {
        var options = rig.Sftp.KeyUser();
        await using var c = new SftpConnector(options);
        var checkpoint = await InterruptedWriteAsync(c, "short.bin.part", failAfter: 21 * MiB);
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));

        Assert.False(await c.CanResumeAsync(checkpoint with { Offset = checkpoint.Offset - 1 }, Length, default));
        Assert.False(await c.CanResumeAsync(checkpoint, checkpoint.Offset - 1, default));
        await using (var part = File.OpenWrite(Path.Combine(options.BasePath, "short.bin.part")))
        {
            part.SetLength(checkpoint.Offset - 1);
        }

        Assert.False(await c.CanResumeAsync(checkpoint, Length, default));
    }

    /// <summary>A write whose source breaks after <paramref name="failAfter"/> bytes; returns the last checkpoint it reported.</summary>
    private static async Task<WriteCheckpoint> InterruptedWriteAsync(SftpConnector c, string path, long failAfter)
    {
        var checkpoints = new List<WriteCheckpoint>();
        var failing = new FailingStream(new RandomData(Length, 7), failAfter);

        await Assert.ThrowsAsync<IOException>(() => c.WriteAsync(path, failing, Length, new WriteOptions(Checkpointed: checkpoints.Add), default));

        Assert.NotEmpty(checkpoints);
        Assert.Equal(0, checkpoints[0].Offset);
        Assert.Equal(checkpoints.Select(k => k.Offset).Order(), checkpoints.Select(k => k.Offset));
        return checkpoints[^1];
    }
}
