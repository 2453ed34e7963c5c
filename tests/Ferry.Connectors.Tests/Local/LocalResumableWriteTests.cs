using Ferry.Connectors.Local;
using Ferry.Core.Connectors;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Local;

/// <summary>Local writes (the staging copy) interrupted and continued, on the real file system.</summary>
public sealed class LocalResumableWriteTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private const long Length = 50 * MiB + 123;
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-local-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task InterruptedWrite_KeepsItsFile_AndContinuesItByteExact_ReadingOnlyTheRest()
    {
        var c = new LocalConnector(_dir);
        var checkpoints = await InterruptedWriteAsync(c, "staged.bin.part", failAfter: 40 * MiB);

        // Every 16 MiB, after an fsync that runs beside the copy (a mark reached while one runs is skipped).
        Assert.Equal([0, 16 * MiB], checkpoints.Take(2).Select(k => k.Offset));
        Assert.All(checkpoints, k => Assert.Equal(0, k.Offset % (16 * MiB)));
        var checkpoint = checkpoints[^1];
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));

        var rest = await FailingStream.SkipAsync(new RandomData(Length, 9), checkpoint.Offset);
        var counted = new FailingStream(rest, long.MaxValue);
        var later = new List<WriteCheckpoint>();
        var result = await c.WriteAsync("staged.bin.part", counted, Length, new WriteOptions(ResumeFrom: checkpoint, Checkpointed: later.Add), default);

        Assert.Equal(Length - checkpoint.Offset, counted.Position);
        var sha = await RandomData.Sha256Async(Length, 9);
        Assert.Equal((Length, sha), (result.Size, result.Sha256));
        Assert.Equal(sha, await RandomData.Sha256OfFileAsync(Path.Combine(_dir, "staged.bin.part")));
        // The continued write takes checkpoints too (it may be interrupted again), never at the end.
        Assert.Equal(checkpoint.Offset + (16 * MiB), later[0].Offset);
        Assert.All(later, l => Assert.InRange(l.Offset, checkpoint.Offset + 1, Length - 1));
    }

    [Fact]
    public async Task CanResume_FileShorterThanTheCheckpoint_LongerThanTheSource_OrGone_IsFalse()
    {
        var c = new LocalConnector(_dir);
        var checkpoint = (await InterruptedWriteAsync(c, "short.bin.part", failAfter: 20 * MiB))[^1];
        Assert.Equal(16 * MiB, checkpoint.Offset);
        Assert.True(await c.CanResumeAsync(checkpoint, Length, default));

        Assert.False(await c.CanResumeAsync(checkpoint, checkpoint.Offset - 1, default));
        Assert.False(await c.CanResumeAsync(checkpoint with { Sha256State = "not a state" }, Length, default));
        await using (var part = File.OpenWrite(Path.Combine(_dir, "short.bin.part")))
        {
            part.SetLength(checkpoint.Offset - 1);
        }

        Assert.False(await c.CanResumeAsync(checkpoint, Length, default));
        await c.DiscardAsync(checkpoint, default);
        await c.DiscardAsync(checkpoint, default); // already gone is fine
        Assert.False(File.Exists(Path.Combine(_dir, "short.bin.part")));
    }

    /// <summary>A write whose source breaks after <paramref name="failAfter"/> bytes; returns the checkpoints it reported.</summary>
    private static async Task<List<WriteCheckpoint>> InterruptedWriteAsync(LocalConnector c, string path, long failAfter)
    {
        var checkpoints = new List<WriteCheckpoint>();
        var failing = new FailingStream(new RandomData(Length, 9), failAfter);

        await Assert.ThrowsAnyAsync<Exception>(() => c.WriteAsync(path, failing, Length, new WriteOptions(Checkpointed: checkpoints.Add), default));

        Assert.NotEmpty(checkpoints);
        Assert.True(new FileInfo(Path.Combine(c.BaseDirectory, path)).Length >= checkpoints[^1].Offset);
        return checkpoints;
    }
}
