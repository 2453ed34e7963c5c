using System.Text;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Connectors.Tests.Conformance;

/// <summary>
/// What every connector promises through <see cref="IConnector"/>, checked against the real
/// store. Each store runs it through a small subclass that makes a connector on a fresh, empty
/// base (a new SFTP directory, a new S3 prefix, a new local folder).
/// </summary>
public abstract class ConnectorConformanceTests : IAsyncLifetime
{
    protected IConnector Connector { get; private set; } = null!;

    protected abstract Task<IConnector> CreateConnectorAsync();

    public async Task InitializeAsync() => Connector = await CreateConnectorAsync();

    public async Task DisposeAsync() => await Connector.DisposeAsync();

    protected async Task<WriteResult> WriteTextAsync(string path, string text, WriteOptions? options = null)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return await Connector.WriteAsync(path, new MemoryStream(bytes), bytes.Length, options ?? WriteOptions.Default, CancellationToken.None);
    }

    protected async Task<string> ReadTextAsync(string path, long offset = 0, long? length = null)
    {
        await using var s = await Connector.OpenReadAsync(path, offset, length, CancellationToken.None);
        using var reader = new StreamReader(s, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    protected async Task<List<RemoteEntry>> ListAsync(string path, bool recursive = false, int pageSize = 1000)
    {
        var all = new List<RemoteEntry>();
        await foreach (var e in Connector.ListAsync(path, new ListOptions(recursive, pageSize), CancellationToken.None))
        {
            all.Add(e);
        }

        return all;
    }

    [Fact]
    public async Task Write_NewFile_StatReportsSizeAndContentReadsBack()
    {
        var result = await WriteTextAsync("a/b/hello.txt", "hello, ferry");

        var entry = await Connector.StatAsync("a/b/hello.txt", CancellationToken.None);
        Assert.NotNull(entry);
        Assert.False(entry.IsDirectory);
        Assert.Equal(12, entry.Size);
        Assert.Equal("a/b/hello.txt", entry.Path);
        Assert.Equal("hello, ferry", await ReadTextAsync("a/b/hello.txt"));
        Assert.Equal(12, result.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("hello, ferry"u8)), result.Sha256);
    }

    [Fact]
    public async Task Stat_MissingPath_ReturnsNull()
    {
        Assert.Null(await Connector.StatAsync("no/such/file.bin", CancellationToken.None));
    }

    [Fact]
    public async Task OpenRead_MissingFile_FailsNotFoundPermanently()
    {
        var ex = await Assert.ThrowsAsync<FerryException>(() => Connector.OpenReadAsync("missing.bin", 0, null, CancellationToken.None));
        Assert.Equal(ErrorCodes.NotFound, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task List_NestedFolders_ShowsOneLevelOrEverythingWhenRecursive()
    {
        await WriteTextAsync("root.txt", "r");
        await WriteTextAsync("d1/one.txt", "1");
        await WriteTextAsync("d1/d2/two.txt", "22");
        await WriteTextAsync("d3/three.txt", "333");

        var top = await ListAsync("");
        Assert.Equal(["d1/", "d3/", "root.txt"], top.Select(Show).Order(StringComparer.Ordinal));

        var d1 = await ListAsync("d1");
        Assert.Equal(["d1/d2/", "d1/one.txt"], d1.Select(Show).Order(StringComparer.Ordinal));

        var files = (await ListAsync("", recursive: true)).Where(e => !e.IsDirectory).ToList();
        Assert.Equal(["d1/d2/two.txt", "d1/one.txt", "d3/three.txt", "root.txt"], files.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(2, files.Single(e => e.Path == "d1/d2/two.txt").Size);

        static string Show(RemoteEntry e) => e.IsDirectory ? e.Path + "/" : e.Path;
    }

    [Fact]
    public async Task List_MorePagesThanPageSize_ReturnsEveryEntryOnce()
    {
        for (var i = 0; i < 23; i++)
        {
            await WriteTextAsync($"many/f{i:D2}.txt", i.ToString());
        }

        var listed = await ListAsync("many", pageSize: 5);

        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"many/f{i:D2}.txt"), listed.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OpenRead_FromOffsetAndForLength_ReturnsThatRange()
    {
        await WriteTextAsync("range.txt", "0123456789abcdef");

        Assert.Equal("abcdef", await ReadTextAsync("range.txt", offset: 10));
        Assert.Equal("3456", await ReadTextAsync("range.txt", offset: 3, length: 4));
        Assert.Equal("0123", await ReadTextAsync("range.txt", offset: 0, length: 4));
    }

    [Fact]
    public async Task Write_ExistingFile_ReplacesIt()
    {
        await WriteTextAsync("over.txt", "first version, longer");
        await WriteTextAsync("over.txt", "second");

        Assert.Equal("second", await ReadTextAsync("over.txt"));
        Assert.Equal(6, (await Connector.StatAsync("over.txt", CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task Write_CreateOnlyOverExistingFile_FailsAlreadyExistsAndKeepsOld()
    {
        await WriteTextAsync("keep.txt", "original");

        var ex = await Assert.ThrowsAsync<FerryException>(() => WriteTextAsync("keep.txt", "intruder", new WriteOptions(CreateOnly: true)));

        Assert.Equal(ErrorCodes.AlreadyExists, ex.Code);
        Assert.Equal("original", await ReadTextAsync("keep.txt"));
    }

    [Fact]
    public async Task Names_WithSpacesAndUnicode_RoundTrip()
    {
        const string path = "dir with space/Prüfbericht – 名前 ✓.txt";
        await WriteTextAsync(path, "unicode body ü");

        var listed = await ListAsync("dir with space");
        Assert.Equal([path], listed.Select(e => e.Path));
        Assert.Equal("Prüfbericht – 名前 ✓.txt", listed[0].Name);
        Assert.Equal("unicode body ü", await ReadTextAsync(path));
    }

    [Fact]
    public async Task Delete_ExistingThenMissing_RemovesAndThenSucceedsQuietly()
    {
        await WriteTextAsync("gone.txt", "x");

        await Connector.DeleteAsync("gone.txt", CancellationToken.None);
        await Connector.DeleteAsync("gone.txt", CancellationToken.None);

        Assert.Null(await Connector.StatAsync("gone.txt", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_InADirectoryThatIsNotThere_SucceedsQuietly()
    {
        await Connector.DeleteAsync("no-such-dir/gone.txt", CancellationToken.None);

        Assert.Null(await Connector.StatAsync("no-such-dir/gone.txt", CancellationToken.None));
    }

    [Fact]
    public async Task Rename_OntoExistingFile_ReplacesTargetAndRemovesSource()
    {
        await WriteTextAsync("from.txt", "new content");
        await WriteTextAsync("to/target.txt", "old");

        await Connector.RenameAsync("from.txt", "to/target.txt", CancellationToken.None);

        Assert.Null(await Connector.StatAsync("from.txt", CancellationToken.None));
        Assert.Equal("new content", await ReadTextAsync("to/target.txt"));
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("a/../../outside.txt")]
    [InlineData("bad\0name")]
    public async Task Paths_EscapingTheBaseOrMalformed_FailInvalidPathBeforeAnyRequest(string path)
    {
        var ex = await Assert.ThrowsAsync<FerryException>(() => Connector.StatAsync(path, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidPath, ex.Code);
        Assert.Equal(ErrorKind.Permanent, ex.Kind);
    }

    [Fact]
    public async Task Write_SourceShorterThanDeclaredLength_FailsSizeMismatch()
    {
        var ex = await Assert.ThrowsAsync<FerryException>(() =>
            Connector.WriteAsync("short.bin", new MemoryStream(new byte[10]), 20, WriteOptions.Default, CancellationToken.None));

        Assert.Equal(ErrorCodes.SizeMismatch, ex.Code);
    }

    [Fact]
    public async Task Write_ExpectedSha256Differs_FailsChecksumMismatch()
    {
        var ex = await Assert.ThrowsAsync<FerryException>(() =>
            WriteTextAsync("wrong-sum.txt", "payload", new WriteOptions(Sha256: new string('0', 64))));

        Assert.Equal(ErrorCodes.ChecksumMismatch, ex.Code);
    }

    [Fact]
    public async Task Write_EmptyFile_IsStoredWithSizeZero()
    {
        await Connector.WriteAsync("empty.bin", Stream.Null, 0, WriteOptions.Default, CancellationToken.None);

        Assert.Equal(0, (await Connector.StatAsync("empty.bin", CancellationToken.None))!.Size);
        Assert.Equal("", await ReadTextAsync("empty.bin"));
    }
}
