using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Streams;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>Applies the overwrite mode before any byte moves.</summary>
internal static class OverwriteGuard
{
    public sealed record Decision(bool Skip, string? Sha256);

    public static async Task<Decision> CheckAsync(TransferRequest request, RemoteEntry source, CancellationToken cancellationToken)
    {
        var mode = request.EffectivePolicy.Overwrite;
        if (mode == OverwriteMode.Overwrite)
        {
            return new Decision(false, null);
        }

        var existing = await request.Target.Connector.StatAsync(request.Target.Path, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return new Decision(false, null);
        }

        if (existing.IsDirectory)
        {
            throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{request.Target.Describe()} is a directory");
        }

        if (mode == OverwriteMode.FailIfExists)
        {
            throw FerryException.Permanent(ErrorCodes.AlreadyExists,
                $"{request.Target.Describe()} already exists and the overwrite mode is fail-if-exists");
        }

        // SkipIfIdentical: same size, and the same SHA-256 - from the store's record where it keeps
        // one, by reading the file where it does not. Reading costs a pass but writes nothing.
        if (existing.Size != source.Size)
        {
            return new Decision(false, null);
        }

        var sourceSha = source.Sha256 ?? await HashAsync(request.Source, cancellationToken).ConfigureAwait(false);
        var targetSha = existing.Sha256 ?? await HashAsync(request.Target, cancellationToken).ConfigureAwait(false);
        return Checksums.SameHex(sourceSha, targetSha) ? new Decision(true, sourceSha) : new Decision(false, null);
    }

    internal static async Task<string> HashAsync(TransferLocation location, CancellationToken cancellationToken)
    {
        await using var stream = await location.Connector.OpenReadAsync(location.Path, 0, null, cancellationToken).ConfigureAwait(false);
        return await Checksums.Sha256HexAsync(stream, cancellationToken).ConfigureAwait(false);
    }
}
