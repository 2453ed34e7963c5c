using Ferry.Core.Connectors;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>A copy inside the target store: no bytes pass through Ferry.</summary>
internal static class ServerSideCopyFlow
{
    public static async Task<WriteResult> RunAsync(TransferRequest request, RemoteEntry source, ProgressMeter meter, CancellationToken cancellationToken)
    {
        var copy = request.Target.Connector.GetCapability<IServerSideCopy>()!;
        await request.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
        var options = new WriteOptions(CreateOnly: request.EffectivePolicy.Overwrite == OverwriteMode.FailIfExists, Sha256: source.Sha256, DeliveredFor: request.DeliveredFor);
        var result = await copy.CopyFromAsync(request.Source.Connector, request.Source.Path, request.Target.Path, options, cancellationToken)
            .ConfigureAwait(false);
        meter.Add(result.Size);
        return result;
    }
}
