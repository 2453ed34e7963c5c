using Ferry.Core.Endpoints;
using Ferry.Stores.Sqlite;

namespace Ferry.Stores.Tests;

/// <summary>Endpoint documents on the SQLite file, and the parsed copies the store reuses while a version holds.</summary>
public sealed class SqliteEndpointStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new("endpoints");
    private SqliteEndpointStore _store = null!;

    public async Task InitializeAsync()
    {
        await _file.InitializeAsync();
        _store = new SqliteEndpointStore(_file.Db);
    }

    public Task DisposeAsync() => _file.DisposeAsync();

    [Fact]
    public async Task ReadsWhileTheVersionHolds_ShareOneParsedEndpoint()
    {
        Assert.True(await _store.CreateAsync(NewEndpoint("ep_a"), default));

        var first = await _store.GetAsync("cus_a", "ep_a", default);
        var second = await _store.GetAsync("cus_a", "ep_a", default);

        Assert.NotNull(first);
        Assert.Same(first, second);
    }

    [Fact]
    public async Task AnUpdate_IsSeenByTheNextRead()
    {
        var created = NewEndpoint("ep_a");
        await _store.CreateAsync(created, default);
        _ = await _store.GetAsync("cus_a", "ep_a", default);

        Assert.True(await _store.UpdateAsync(created with { Status = EndpointStatus.Disabled, Version = 2 }, expectedVersion: 1, default));

        var read = await _store.GetAsync("cus_a", "ep_a", default);
        Assert.Equal(EndpointStatus.Disabled, read!.Status);
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task ADelete_IsConditionalOnTheVersionAndTheCustomer()
    {
        var created = NewEndpoint("ep_a");
        await _store.CreateAsync(created, default);
        _ = await _store.GetAsync("cus_a", "ep_a", default);

        Assert.False(await _store.DeleteAsync("cus_b", "ep_a", 1, default));
        Assert.False(await _store.DeleteAsync("cus_a", "ep_a", 2, default));
        Assert.NotNull(await _store.GetAsync("cus_a", "ep_a", default));

        Assert.True(await _store.DeleteAsync("cus_a", "ep_a", 1, default));
        Assert.Null(await _store.GetAsync("cus_a", "ep_a", default));
        Assert.Empty((await _store.ListAsync("cus_a", null, 10, default)).Endpoints);
        Assert.False(await _store.DeleteAsync("cus_a", "ep_a", 1, default));
        Assert.False(await _store.UpdateAsync(created with { Version = 2 }, expectedVersion: 1, default));
    }

    [Fact]
    public async Task AnUpdateByAnotherProcess_IsSeenByTheNextRead()
    {
        var created = NewEndpoint("ep_a");
        await _store.CreateAsync(created, default);
        _ = await _store.GetAsync("cus_a", "ep_a", default);
        var otherProcess = new SqliteEndpointStore(await _file.OpenAnotherAsync());

        Assert.True(await otherProcess.UpdateAsync(created with { Name = "renamed", Version = 2 }, expectedVersion: 1, default));

        Assert.Equal("renamed", (await _store.GetAsync("cus_a", "ep_a", default))!.Name);
    }

    [Fact]
    public async Task AnUpdateFromAStaleVersion_IsRejected_AndChangesNothing()
    {
        var created = NewEndpoint("ep_a");
        await _store.CreateAsync(created, default);
        await _store.UpdateAsync(created with { Name = "second", Version = 2 }, expectedVersion: 1, default);

        Assert.False(await _store.UpdateAsync(created with { Name = "stale", Version = 2 }, expectedVersion: 1, default));

        Assert.Equal("second", (await _store.GetAsync("cus_a", "ep_a", default))!.Name);
    }

    [Fact]
    public async Task AnUpdateThatDoesNotMoveTheVersionForward_IsRefused()
    {
        var created = NewEndpoint("ep_a");
        await _store.CreateAsync(created, default);

        await Assert.ThrowsAsync<ArgumentException>(() => _store.UpdateAsync(created with { Name = "same version" }, expectedVersion: 1, default));

        Assert.Equal("ep_a name", (await _store.GetAsync("cus_a", "ep_a", default))!.Name);
    }

    [Fact]
    public async Task AnotherCustomer_DoesNotFindTheEndpoint_EvenOnceItWasRead()
    {
        await _store.CreateAsync(NewEndpoint("ep_a"), default);
        Assert.NotNull(await _store.GetAsync("cus_a", "ep_a", default));

        Assert.Null(await _store.GetAsync("cus_b", "ep_a", default));
    }

    private static Endpoint NewEndpoint(string id) => new()
    {
        EndpointId = id,
        CustomerId = "cus_a",
        Name = id + " name",
        Kind = EndpointKind.Sftp,
        Sftp = new SftpSettings("sftp.example.com", 22, "partner", "/out", "SHA256:abc", false, SftpAuthMethod.Password),
        CreatedAt = T0,
        UpdatedAt = T0,
    };
}
