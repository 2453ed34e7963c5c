namespace Ferry.Server.Tests.Support;

/// <summary>One running server shared by a test class; each test works as its own customer.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ServerProcess Server { get; } = new();

    public Task InitializeAsync() => Server.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
