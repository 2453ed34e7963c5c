using Ferry.Core.Connectors;
using Ferry.Core.Jobs;
using Ferry.Core.Transfers;
using Ferry.Engine.Flows;
using Ferry.TestRig;

namespace Ferry.Engine.Tests.Flows;

/// <summary>
/// Post-actions on a real sshd source when the partner replaces the file at the worst moment:
/// after Ferry's last look at it and before Ferry touches it.
/// </summary>
[Collection("rig")]
public sealed class SourcePostActionTests(Rig rig)
{
    private static readonly SourceAction Delete = new(SourceActionKind.Delete);

    [Fact]
    public async Task Delete_PartnerReplacesTheFileRightBefore_TheNewVersionStays()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var (racing, local, sent) = await RacedAsync(f, "out/a.csv", seed: 1);

        var done = await SourcePostAction.RunAsync(new TransferLocation(racing, "out/a.csv"), Delete, sent, "job_1", default);

        Assert.True(racing.Raced);
        Assert.Equal("the partner's new version", await File.ReadAllTextAsync(local));
        Assert.Contains("put back", done);
        Assert.Equal(["a.csv"], Directory.GetFiles(Path.GetDirectoryName(local)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Delete_NoRace_DeletesAndLeavesNothingBehind()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var (source, sent) = await SentAsync(f, "out/b.csv", seed: 2);

        var done = await SourcePostAction.RunAsync(new TransferLocation(source, "out/b.csv"), Delete, sent, "job_2", default);

        Assert.StartsWith("source deleted", done);
        Assert.Empty(Directory.GetFiles(Path.Combine(f.SourceSftpOptions.BasePath, "out")));
    }

    [Fact]
    public async Task Delete_AnAttemptThatStoppedAfterMovingTheFileAside_IsFinishedByTheNext()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var (source, sent) = await SentAsync(f, "out/c.csv", seed: 3);
        var dir = Path.Combine(f.SourceSftpOptions.BasePath, "out");
        // Where the first attempt had moved it when its worker died.
        File.Move(Path.Combine(dir, "c.csv"), Path.Combine(f.SourceSftpOptions.BasePath, SourcePostAction.HoldingPath("out/c.csv", "job_3")));

        var done = await SourcePostAction.RunAsync(new TransferLocation(source, "out/c.csv"), Delete, sent, "job_3", default);

        Assert.StartsWith("source deleted", done);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task Move_PartnerReplacesTheFileRightBefore_TheNewVersionIsNotArchived()
    {
        await using var f = await FlowFixture.CreateAsync(rig);
        var (racing, local, sent) = await RacedAsync(f, "out/d.csv", seed: 4);
        var archive = new SourceAction(SourceActionKind.Move, "archive/d.csv");

        var done = await SourcePostAction.RunAsync(new TransferLocation(racing, "out/d.csv"), archive, sent, "job_4", default);

        Assert.True(racing.Raced);
        Assert.Equal("the partner's new version", await File.ReadAllTextAsync(local));
        Assert.False(File.Exists(Path.Combine(f.SourceSftpOptions.BasePath, "archive/d.csv")), "an unsent version must not be archived");
        Assert.Contains("put back", done);
    }

    /// <summary>A source file as it was when sent: its connector and the version the delivery recorded.</summary>
    private static async Task<(IConnector Source, SourceVersion Sent)> SentAsync(FlowFixture f, string path, int seed)
    {
        await f.PutSftpSourceAsync(path, 3000, seed);
        SftpServer.Chown(Path.GetDirectoryName(Path.Combine(f.SourceSftpOptions.BasePath, path))!, f.SourceSftpOptions.Username);
        var source = f.SourceSftp();
        var entry = await source.StatAsync(path, default);
        return (source, SourceVersion.Of(entry!));
    }

    /// <summary>
    /// A sent source whose connector lets the partner move its next version (written beside the
    /// file, as partners do, with another size and time) over it just before Ferry's first rename.
    /// </summary>
    private static async Task<(PartnerRacingConnector Racing, string Local, SourceVersion Sent)> RacedAsync(FlowFixture f, string path, int seed)
    {
        var (source, sent) = await SentAsync(f, path, seed);
        var local = Path.Combine(f.SourceSftpOptions.BasePath, path);
        var next = local + ".uploading";
        await File.WriteAllTextAsync(next, "the partner's new version");
        File.SetLastWriteTimeUtc(next, DateTime.UtcNow.AddMinutes(1));
        SftpServer.Chown(next, f.SourceSftpOptions.Username);
        return (new PartnerRacingConnector(source, () => File.Move(next, local, overwrite: true)), local, sent);
    }

    /// <summary>The real connector, with the partner's move run once just before Ferry's first rename.</summary>
    private sealed class PartnerRacingConnector(IConnector inner, Action partner) : IConnector, IAtomicRename
    {
        public bool Raced { get; private set; }

        public string Scheme => inner.Scheme;

        public string Describe(string path) => inner.Describe(path);

        public IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, CancellationToken cancellationToken) => inner.ListAsync(path, options, cancellationToken);

        public Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken) => inner.StatAsync(path, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken) =>
            inner.OpenReadAsync(path, offset, length, cancellationToken);

        public Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken) =>
            inner.WriteAsync(path, content, length, options, cancellationToken);

        public Task DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

        public Task RenameAsync(string from, string to, CancellationToken cancellationToken)
        {
            Race();
            return inner.RenameAsync(from, to, cancellationToken);
        }

        public Task<RenameOutcome> RenameAtomicAsync(string from, string to, bool replaceExisting, CancellationToken cancellationToken)
        {
            Race();
            return inner.GetCapability<IAtomicRename>()!.RenameAtomicAsync(from, to, replaceExisting, cancellationToken);
        }

        public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken) => inner.CreateDirectoryAsync(path, cancellationToken);

        public T? GetCapability<T>() where T : class => this as T ?? inner.GetCapability<T>();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private void Race()
        {
            if (!Raced)
            {
                Raced = true;
                partner();
            }
        }
    }
}
