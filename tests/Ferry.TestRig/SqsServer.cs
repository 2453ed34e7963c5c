using Amazon.Runtime;
using Amazon.SQS;
using Xunit;

namespace Ferry.TestRig;

/// <summary>fauxqs (an SQS stand-in from npm) on 127.0.0.1, started by rig/sqs/start; a class fixture for the tests that need a queue.</summary>
public sealed class SqsServer : IAsyncLifetime
{
    private Dictionary<string, string> _env = [];

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "ferry-rig-sqs-" + Guid.NewGuid().ToString("N")[..8]);

    public string Endpoint => _env["SQS_ENDPOINT"];

    public AmazonSQSClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("sqs"), "start"), [Directory], TimeSpan.FromSeconds(60));
        _env = RigProcess.ReadEnv(Path.Combine(Directory, "env"));
        // fauxqs accepts any credentials.
        Client = new AmazonSQSClient(new BasicAWSCredentials("rig", "rig"), new AmazonSQSConfig { ServiceURL = Endpoint, AuthenticationRegion = "us-east-1" });
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await RigProcess.RunAsync(Path.Combine(RepoPaths.Rig("sqs"), "stop"), [Directory], TimeSpan.FromSeconds(30));
    }
}
