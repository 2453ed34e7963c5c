using Ferry.Core.Connectors;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>One side of a transfer: a connector and a path relative to its base.</summary>
public sealed record TransferLocation(IConnector Connector, string Path)
{
    public string Describe() => Connector.Describe(Path);
}

/// <summary>One file to move from <see cref="Source"/> to <see cref="Target"/>.</summary>
/// <param name="TransferId">
/// Unique per transfer (the job id in the engine). Names the temporary file of an atomic
/// delivery and the staged copy, so concurrent transfers to one target never collide.
/// </param>
/// <param name="Staging">Where SFTP-to-SFTP transfers stage the file; required for that flow.</param>
public sealed record TransferRequest(
    TransferLocation Source,
    TransferLocation Target,
    string TransferId,
    TransferPolicy? Policy = null,
    IConnector? Staging = null,
    Action<TransferProgress>? Progress = null)
{
    public TransferPolicy EffectivePolicy => Policy ?? TransferPolicy.Default;

    public string Flow => $"{Source.Connector.Scheme}-to-{Target.Connector.Scheme}";
}
