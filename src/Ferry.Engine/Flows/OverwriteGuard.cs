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
        if (mode == OverwriteMode.Overwrite && !request.IsRetry)
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

        if (request.IsRetry && existing.Size == source.Size && await IdenticalAsync(request, source, existing, cancellationToken).ConfigureAwait(false) is { } same)
        {
            // An interrupted earlier attempt already delivered this very file: do not deliver it twice.
            return new Decision(true, same);
        }

        if (mode == OverwriteMode.Overwrite)
        {
            return new Decision(false, null);
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

        return await IdenticalAsync(request, source, existing, cancellationToken).ConfigureAwait(false) is { } sha
            ? new Decision(true, sha)
            : new Decision(false, null);
    }

    /// <summary>The shared SHA-256 when source and target hold the same bytes; null otherwise.</summary>
    private static async Task<string?> IdenticalAsync(TransferRequest request, RemoteEntry source, RemoteEntry existing, CancellationToken cancellationToken)
    {
        var sourceSha = source.Sha256 ?? await HashAsync(request.Source, cancellationToken).ConfigureAwait(false);
        var targetSha = existing.Sha256 ?? await HashAsync(request.Target, cancellationToken).ConfigureAwait(false);
        return Checksums.SameHex(sourceSha, targetSha) ? sourceSha : null;
    }

    internal static async Task<string> HashAsync(TransferLocation location, CancellationToken cancellationToken)
    {
        await using var stream = await location.Connector.OpenReadAsync(location.Path, 0, null, cancellationToken).ConfigureAwait(false);
        return await Checksums.Sha256HexAsync(stream, cancellationToken).ConfigureAwait(false);
    }
}
