using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Streams;
using Ferry.Core.Transfers;

namespace Ferry.Engine.Flows;

/// <summary>
/// The VERIFYING step: the delivered file must have the source's size, and the SHA-256 the
/// target records (S3) or yields when read back (strict mode) must equal the one computed while
/// streaming. Returns the SHA-256 to record for the transfer.
/// </summary>
internal static class Verifier
{
    /// <summary>The write itself settled the checks: <see cref="VerifyAsync"/> will not ask the target anything.</summary>
    public static bool SettledByTheWrite(long size, WriteResult delivered, VerifyMode mode) =>
        mode == VerifyMode.Checksum && delivered.ServerVerified && delivered.Size == size;

    public static async Task<string?> VerifyAsync(TransferLocation target, long size, WriteResult delivered, VerifyMode mode, CancellationToken cancellationToken)
    {
        var streamedSha256 = delivered.Sha256;
        if (SettledByTheWrite(size, delivered, mode))
        {
            // The store already confirmed these exact bytes as it took them (Content-MD5 per PUT, a
            // signed SHA-256 per part and an ETag matching the parts', a copy's ETag matching its source's); asking it
            // again would repeat that answer. A server-side copy of an object Ferry did not write
            // has no SHA-256 to report, here or in the store.
            return streamedSha256;
        }

        var entry = await target.Connector.StatAsync(target.Path, cancellationToken).ConfigureAwait(false)
            ?? throw FerryException.Transient(ErrorCodes.NotFound, $"{target.Describe()} is missing right after delivery");
        if (entry.Size != size)
        {
            throw FerryException.Transient(ErrorCodes.SizeMismatch, $"{target.Describe()} has {entry.Size} bytes; the source has {size}");
        }

        var sha256 = streamedSha256;
        if (entry.Sha256 is { } recorded)
        {
            if (sha256 is not null && !Checksums.SameHex(recorded, sha256))
            {
                throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                    $"{target.Describe()} records SHA-256 {recorded}; the bytes sent hash to {sha256}");
            }

            sha256 ??= recorded;
        }

        if (mode == VerifyMode.ReadBack)
        {
            var readBack = await OverwriteGuard.HashAsync(target, cancellationToken).ConfigureAwait(false);
            if (sha256 is not null && !Checksums.SameHex(readBack, sha256))
            {
                throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                    $"{target.Describe()} reads back as SHA-256 {readBack}; the bytes sent hash to {sha256}");
            }

            sha256 ??= readBack;
        }

        return sha256;
    }
}
