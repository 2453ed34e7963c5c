using Amazon.S3.Model;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Streams;

namespace Ferry.Connectors.S3;

/// <summary>
/// Copies an object inside one store: CopyObject up to <see cref="S3EndpointOptions.CopyObjectMax"/>
/// (S3 allows 5 GiB), parallel UploadPartCopy above it. No bytes pass through Ferry. Metadata,
/// including Ferry's recorded SHA-256, travels with the object. Where the store ignores the
/// endpoint's server-side encryption on copies, the copy streams through Ferry instead.
/// </summary>
internal sealed class S3ServerSideCopier
{
    private readonly S3Connector _target;

    public S3ServerSideCopier(S3Connector target) => _target = target;

    public async Task<WriteResult> CopyAsync(S3Connector source, string sourcePath, string targetPath, WriteOptions options, CancellationToken cancellationToken)
    {
        var o = _target.Options;
        var where = _target.Describe(targetPath);
        var sourceKey = source.KeyOf(sourcePath);
        var targetKey = _target.KeyOf(targetPath);
        var head = await S3Connector.RunAsync(source.Describe(sourcePath),
            () => source.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = source.Options.Bucket, Key = sourceKey }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var size = head.ContentLength;
        var sourceETag = S3Connector.Unquote(head.ETag);
        var sha256 = head.Metadata[S3Connector.Sha256MetadataKey] is { Length: > 0 } s ? s : null;
        if (options.Sha256 is { } expected && sha256 is not null && !Checksums.SameHex(expected, sha256))
        {
            throw FerryException.Transient(ErrorCodes.ChecksumMismatch,
                $"{source.Describe(sourcePath)} records SHA-256 {sha256}, not the expected {expected}; it changed since it was read");
        }

        if (options.CreateOnly && await _target.StatAsync(targetPath, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw FerryException.Permanent(ErrorCodes.AlreadyExists, $"{where} already exists");
        }

        if (_target.CopyIgnoresEncryption)
        {
            return await StreamAsync(source, sourcePath, targetPath, size, options, cancellationToken).ConfigureAwait(false);
        }

        string? expectedETag;
        if (size <= o.CopyObjectMax)
        {
            var copy = new CopyObjectRequest
            {
                SourceBucket = source.Options.Bucket,
                SourceKey = sourceKey,
                DestinationBucket = o.Bucket,
                DestinationKey = targetKey,
                MetadataDirective = Amazon.S3.S3MetadataDirective.COPY,
                // Copy exactly the version we looked at; a concurrent overwrite fails the copy.
                ETagToMatch = sourceETag,
            };
            if (ReplaceMetadata(head, options, copy.Metadata))
            {
                // The trigger mark changes, so the metadata is written anew rather than copied.
                copy.MetadataDirective = Amazon.S3.S3MetadataDirective.REPLACE;
                copy.ContentType = head.Headers.ContentType;
            }

            S3EncryptionSettings.Apply(copy, o);
            await S3Connector.RunAsync(where, () => _target.Client.CopyObjectAsync(copy, cancellationToken), cancellationToken).ConfigureAwait(false);
            // A single-part object's ETag is its MD5 and survives the copy; a multipart one's does not.
            expectedETag = sourceETag is not null && !sourceETag.Contains('-') ? sourceETag : null;
        }
        else
        {
            expectedETag = await CopyInPartsAsync(source, sourceKey, targetKey, size, sourceETag, head, options, where, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var (etag, verified) = await _target.VerifyStoredAsync(targetKey, size, expectedETag, where, cancellationToken).ConfigureAwait(false);
            return new WriteResult(size, sha256, etag, verified);
        }
        catch (FerryException e) when (e.Code == ErrorCodes.EncryptionNotApplied)
        {
            // The store copied but did not encrypt (Ceph RGW 16 ignores SSE on CopyObject) and the
            // copy is gone again: send the bytes through Ferry, which the store does encrypt, from
            // now on for this endpoint. CreateOnly was checked above; whatever is there now is that
            // copy, if removing it failed, and is overwritten.
            _target.CopyIgnoresEncryption = true;
            return await StreamAsync(source, sourcePath, targetPath, size, options with { CreateOnly = false }, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<WriteResult> StreamAsync(S3Connector source, string sourcePath, string targetPath, long size, WriteOptions options, CancellationToken cancellationToken)
    {
        await using var read = await source.OpenReadAsync(sourcePath, 0, null, cancellationToken).ConfigureAwait(false);
        return await _target.WriteAsync(targetPath, read, size, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> CopyInPartsAsync(
        S3Connector source, string sourceKey, string targetKey, long size, string? sourceETag, GetObjectMetadataResponse head, WriteOptions options, string where,
        CancellationToken cancellationToken)
    {
        var o = _target.Options;
        var plan = MultipartPlan.For(size, o.CopyPartSize, o.CopyPartsInFlight, long.MaxValue);
        var create = new InitiateMultipartUploadRequest { BucketName = o.Bucket, Key = targetKey, ContentType = head.Headers.ContentType };
        ReplaceMetadata(head, options, create.Metadata);

        S3EncryptionSettings.Apply(create, o);
        var uploadId = (await S3Connector.RunAsync(where, () => _target.Client.InitiateMultipartUploadAsync(create, cancellationToken), cancellationToken)
            .ConfigureAwait(false)).UploadId;
        try
        {
            var etags = new string[plan.PartCount];
            using var gate = new SemaphoreSlim(o.CopyPartsInFlight);
            var tasks = Enumerable.Range(1, plan.PartCount).Select(async part =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var first = (part - 1) * plan.PartSize;
                    var response = await _target.Client.CopyPartAsync(new CopyPartRequest
                    {
                        SourceBucket = source.Options.Bucket,
                        SourceKey = sourceKey,
                        DestinationBucket = o.Bucket,
                        DestinationKey = targetKey,
                        UploadId = uploadId,
                        PartNumber = part,
                        FirstByte = first,
                        LastByte = first + plan.LengthOfPart(part, size) - 1,
                        ETagToMatch = sourceETag is null ? null : [sourceETag],
                    }, cancellationToken).ConfigureAwait(false);
                    etags[part - 1] = response.ETag;
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);

            var complete = new CompleteMultipartUploadRequest { BucketName = o.Bucket, Key = targetKey, UploadId = uploadId, PartETags = [] };
            for (var i = 0; i < etags.Length; i++)
            {
                complete.PartETags.Add(new PartETag(i + 1, etags[i]));
            }

            await _target.Client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            // Each part's ETag is the MD5 of the bytes the store copied, so the object's ETag is predictable.
            return Checksums.MultipartETag(etags.Select(e => Convert.FromHexString(S3Connector.Unquote(e)!)).ToList());
        }
        catch (Exception ex)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _target.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = o.Bucket, Key = targetKey, UploadId = uploadId }, timeout.Token)
                    .ConfigureAwait(false);
            }
            catch (Exception abortError) when (abortError is Amazon.S3.AmazonS3Exception or HttpRequestException or OperationCanceledException or IOException)
            {
                // Best effort; the original error is what the caller needs.
            }

            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw S3Errors.Classify(ex, where);
        }
    }

    /// <summary>
    /// Fills <paramref name="metadata"/> with the source's user metadata, minus the source's
    /// trigger mark and plus this delivery's; true when that differs from the source's own.
    /// </summary>
    private static bool ReplaceMetadata(GetObjectMetadataResponse head, WriteOptions options, MetadataCollection metadata)
    {
        var changed = false;
        foreach (var k in head.Metadata.Keys)
        {
            // Keys come back as "x-amz-meta-ferry-trigger".
            if (k.EndsWith(S3Connector.TriggerMetadataKey, StringComparison.OrdinalIgnoreCase))
            {
                changed = true;
                continue;
            }

            metadata.Add(k, head.Metadata[k]);
        }

        if (options.DeliveredFor is { } trigger)
        {
            metadata.Add(S3Connector.TriggerMetadataKey, trigger);
            changed = true;
        }

        return changed;
    }
}
