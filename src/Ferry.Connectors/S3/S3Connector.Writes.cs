using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.S3;

/// <summary>
/// Writing an object: small ones in one PUT, larger ones streamed into a multipart upload
/// (<see cref="S3MultipartWriter"/>), each checked against what the store reports. A multipart
/// upload that outlives a failed attempt is continued by the next (<see cref="IResumableWrites"/>:
/// <see cref="UploadProgress"/>, <see cref="MultipartResume"/>); single-PUT objects are small
/// enough to send again.
/// </summary>
public sealed partial class S3Connector : IResumableWrites
{
    public async Task<WriteResult> WriteAsync(string path, Stream content, long length, WriteOptions options, CancellationToken cancellationToken)
    {
        var where = Describe(path);
        var key = _keys.ObjectKey(path, where);
        if (length <= _options.SinglePutMax)
        {
            // Sent whole, never continued: a checkpoint to resume from does not apply.
            var whole = ExactLengthReadStream.ForWrite(content, length, WriteOptions.Default, cancellationToken);
            return await PutSmallAsync(key, whole, length, options, where, cancellationToken).ConfigureAwait(false);
        }

        if (!Sha256Hasher.CanSaveState)
        {
            options = options with { Checkpointed = null };
        }

        var source = ExactLengthReadStream.ForWrite(content, length, options, cancellationToken);
        var outcome = await _multipart.UploadAsync(path, key, source, length, options, where, cancellationToken).ConfigureAwait(false);
        var verified = await VerifyStoredAsync(key, length, outcome.ExpectedETag, where, cancellationToken).ConfigureAwait(false);
        return new WriteResult(length, outcome.Sha256, verified.ETag, verified.ServerVerified);
    }

    private async Task<WriteResult> PutSmallAsync(string key, ExactLengthReadStream source, long length, WriteOptions options, string where, CancellationToken cancellationToken)
    {
        // Small enough to hold: read it all first, so the SHA-256 is known before the PUT and
        // is stored with the object, and the MD5 lets the store reject damaged bytes.
        var buffer = new byte[length];
        try
        {
            await source.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            await source.EnsureSourceExhaustedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SourceStreamException ex)
        {
            SourceStreamException.RethrowIfSource(ex);
            throw;
        }
        var sha256 = source.Sha256Hex();
        if (options.Sha256 is { } expected && !Checksums.SameHex(expected, sha256))
        {
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch, $"{where}: the bytes read hash to {sha256}, not the expected {expected}");
        }

        var md5 = MD5.HashData(buffer);
        using var body = new MemoryStream(buffer, writable: false);
        var put = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = body,
            MD5Digest = Convert.ToBase64String(md5),
            UseChunkEncoding = false,
            AutoCloseStream = false,
        };
        put.Metadata.Add(Sha256MetadataKey, sha256);
        if (options.DeliveredFor is { } trigger)
        {
            put.Metadata.Add(TriggerMetadataKey, trigger);
        }
        S3EncryptionSettings.Apply(put, _options);
        if (options.CreateOnly)
        {
            put.IfNoneMatch = "*";
        }

        var response = await RunAsync(where, () => _s3.PutObjectAsync(put, cancellationToken), cancellationToken).ConfigureAwait(false);
        await EnsureEncryptedAsync(key, response.ServerSideEncryptionMethod, where).ConfigureAwait(false);
        var md5Hex = Convert.ToHexStringLower(md5);
        var etag = Unquote(response.ETag);
        if (string.IsNullOrEmpty(etag))
        {
            var stored = await VerifyStoredAsync(key, length, md5Hex, where, cancellationToken).ConfigureAwait(false);
            return new WriteResult(length, sha256, stored.ETag, stored.ServerVerified);
        }

        // The store checked the body against Content-MD5 before keeping it (BadDigest otherwise),
        // so an accepted PUT holds exactly these bytes: no HEAD needed. Its ETag is that MD5
        // unless SSE-KMS is on; any other ETag means something in between changed the body.
        if (_options.Encryption != S3Encryption.Kms && !string.Equals(etag, md5Hex, StringComparison.OrdinalIgnoreCase))
        {
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch, $"{where}: the store answered ETag {etag} for a body whose MD5 is {md5Hex}");
        }

        return new WriteResult(length, sha256, etag, ServerVerified: true);
    }

    /// <summary>
    /// HEADs what was just written: the size must match, and where the store's ETag is an MD5
    /// (not under SSE-KMS) it must match the one Ferry predicted (a multipart ETag from the ETags
    /// the store gave the parts, or a copy's source's). Some stores (Ceph RGW 16) return an
    /// empty ETag from CompleteMultipartUpload, so the HEAD is the only reliable answer.
    /// </summary>
    internal async Task<(string? ETag, bool ServerVerified)> VerifyStoredAsync(string key, long length, string? expectedETag, string where, CancellationToken cancellationToken)
    {
        var head = await RunAsync(where, () => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        var etag = Unquote(head.ETag);
        if (head.ContentLength != length)
        {
            throw FerryException.Transient(ErrorCodes.SizeMismatch, $"{where}: wrote {length} bytes but the store reports {head.ContentLength}");
        }

        await EnsureEncryptedAsync(key, head.ServerSideEncryptionMethod, where).ConfigureAwait(false);

        if (expectedETag is null || _options.Encryption == S3Encryption.Kms || string.IsNullOrEmpty(etag))
        {
            return (etag, false);
        }

        if (!string.Equals(etag, expectedETag, StringComparison.OrdinalIgnoreCase))
        {
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                $"{where}: the store reports ETag {etag} where what it acknowledged gives {expectedETag}; the object is damaged");
        }

        return (etag, true);
    }

    /// <summary>
    /// Removes the object just written and fails with ENCRYPTION_NOT_APPLIED if the store did not
    /// encrypt it as the endpoint asks: a store that ignores the request (Ceph RGW 16 ignores SSE-S3
    /// on every write, and SSE-KMS on CopyObject) must not be left holding the plaintext.
    /// </summary>
    private async Task EnsureEncryptedAsync(string key, ServerSideEncryptionMethod? reported, string where)
    {
        if (S3EncryptionSettings.Satisfied(_options, reported))
        {
            return;
        }

        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            throw S3EncryptionSettings.NotApplied(_options, reported, where, "kept the object", $"and removing it failed ({ex.Message}): remove it by hand", ex);
        }

        throw S3EncryptionSettings.NotApplied(_options, reported, where, "kept the object", "so Ferry removed it");
    }

    public async Task<bool> CanResumeAsync(WriteCheckpoint checkpoint, long length, CancellationToken cancellationToken)
    {
        if (length <= _options.SinglePutMax || !Sha256Hasher.CanSaveState)
        {
            return false;
        }

        try
        {
            Sha256Hasher.Restore(checkpoint.Sha256State, checkpoint.Offset).Dispose();
        }
        catch (FormatException)
        {
            return false;
        }

        var where = Describe(checkpoint.Path);
        return await _multipart.CanResumeAsync(_keys.ObjectKey(checkpoint.Path, where), checkpoint, length, where, cancellationToken).ConfigureAwait(false);
    }

    public Task DiscardAsync(WriteCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var where = Describe(checkpoint.Path);
        return _multipart.DiscardAsync(_keys.ObjectKey(checkpoint.Path, where), checkpoint, where, cancellationToken);
    }
}
