using System.Collections.Concurrent;
using Ferry.Connectors.Endpoints;
using Ferry.Core.Endpoints;
using Ferry.Core.Json;
using Ferry.Core.Secrets;
using Ferry.TestRig;

namespace Ferry.Connectors.Tests.Endpoints;

/// <summary>
/// An endpoint's connector outlives a change to the endpoint for as long as a job holds it, and
/// closes its connections as soon as the last holder lets go. Real sshd behind a proxy that counts
/// open connections.
/// </summary>
[Collection("rig")]
public sealed class EndpointConnectorLifetimeTests(Rig rig)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AReplacedConnector_KeepsWorkingWhileHeld_AndClosesWhenLetGo()
    {
        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        await using var connectors = new EndpointConnectors(new Secrets(File.ReadAllText(rig.Sftp.Ed25519KeyPath)));
        var v1 = Endpoint(proxy.Port, version: 1);
        var held = await connectors.GetAsync(v1, default);
        Assert.NotNull(await held.Connector.StatAsync("", default));

        // Credentials rotated, say: the next job gets a new connector.
        using (var current = await connectors.GetAsync(v1 with { Version = 2 }, default))
        {
            Assert.NotSame(held.Connector, current.Connector);
            Assert.NotNull(await current.Connector.StatAsync("", default));
        }

        Assert.Equal(2, proxy.ConnectionsOpen);
        // The job on the old version is not cut off: its connector still connects and answers.
        Assert.NotNull(await held.Connector.StatAsync("", default));
        Assert.Equal(2, proxy.ConnectionsOpen);

        held.Dispose();
        await Eventually.TrueAsync(() => proxy.ConnectionsOpen == 1, "the old connector's connection was not closed", Patience);
    }

    [Fact]
    public async Task AForgottenEndpoint_IsClosedWhenItsLastHolderLetsGo_AndNotBefore()
    {
        await using var proxy = StallingTcpProxy.Start(rig.Sftp.Host, rig.Sftp.Port);
        await using var connectors = new EndpointConnectors(new Secrets(File.ReadAllText(rig.Sftp.Ed25519KeyPath)));
        var endpoint = Endpoint(proxy.Port, version: 1);
        var first = await connectors.GetAsync(endpoint, default);
        var second = await connectors.GetAsync(endpoint, default);
        Assert.Same(first.Connector, second.Connector);
        Assert.NotNull(await first.Connector.StatAsync("", default));

        connectors.Forget(endpoint.EndpointId);
        first.Dispose();
        await Task.Delay(500);
        Assert.Equal(1, proxy.ConnectionsOpen);
        Assert.NotNull(await second.Connector.StatAsync("", default));

        second.Dispose();
        second.Dispose(); // twice is once
        await Eventually.TrueAsync(() => proxy.ConnectionsOpen == 0, "the forgotten endpoint's connection was not closed", Patience);
    }

    private Endpoint Endpoint(int port, long version) => new()
    {
        EndpointId = "ep_lifetime",
        CustomerId = "cus_a",
        Name = "partner",
        Kind = EndpointKind.Sftp,
        Sftp = new SftpSettings(rig.Sftp.Host, port, rig.Sftp.Ed25519User, SftpServer.NewDirectory(rig.Sftp.Ed25519Base, rig.Sftp.Ed25519User),
            rig.Sftp.HostKey, HostKeyTrustedOnFirstUse: false, SftpAuthMethod.PrivateKey),
        SecretRef = "secret:key",
        Version = version,
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Holds the rig's ed25519 key under "secret:key" (the sealed store is the stores' tests' subject).</summary>
    private sealed class Secrets : ISecretStore
    {
        private readonly ConcurrentDictionary<string, string> _values = new();

        public Secrets(string privateKey) => _values["secret:key"] = CoreJson.Serialize(new EndpointCredentials { PrivateKey = privateKey });

        public Task<string> PutAsync(string customerId, string value, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string?> GetAsync(string customerId, string reference, CancellationToken cancellationToken) =>
            Task.FromResult(_values.TryGetValue(reference, out var value) ? value : null);

        public Task DeleteAsync(string customerId, string reference, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
