using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Paths;

namespace Ferry.Connectors.S3;

/// <summary>
/// S3 on AWSSDK.S3, for AWS (GovCloud and FIPS endpoints included) and S3-compatible stores.
/// Small objects go up in one PUT; larger ones stream into a multipart upload
/// (<see cref="S3MultipartWriter"/>). Ferry records each object's SHA-256 as user metadata
/// (x-amz-meta-ferry-sha256) when it knows it before the upload starts, because x-amz-checksum-*
/// is not kept by every S3-compatible store.
/// </summary>
public sealed partial class S3Connector : IConnector, IServerSideCopy, IMultipartUploads, IHasFeatures
{
    internal const string Sha256MetadataKey = "ferry-sha256";

    /// <summary>The trigger a delivery was made for (<see cref="WriteOptions.DeliveredFor"/>).</summary>
    internal const string TriggerMetadataKey = "ferry-trigger";

    private readonly S3EndpointOptions _options;
    private readonly AmazonS3Client _s3;
    private readonly S3Keys _keys;
    private readonly S3MultipartWriter _multipart;

    public S3Connector(S3EndpointOptions options)
    {
        _options = options;
        _s3 = S3ClientFactory.Create(options);
        _keys = new S3Keys(options.Prefix);
        _multipart = new S3MultipartWriter(_s3, options);
    }

    public string Scheme => "s3";

    public ConnectorFeatures Features { get; } = new(RecordsSha256: true, HasDirectories: false);

    internal S3EndpointOptions Options => _options;

    internal IAmazonS3 Client => _s3;

    public string Describe(string path)
    {
        string key;
        try
        {
            key = _keys.ListPrefix(path).TrimEnd('/');
        }
        catch (FerryException)
        {
            key = "(invalid path)";
        }

        return $"s3://{_options.Bucket}/{key}";
    }

    public T? GetCapability<T>() where T : class => this as T;

    /// <summary>Checks that the bucket exists and the credentials can list it.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) =>
        RunAsync(Describe(""), async () =>
        {
            // HEAD first: a missing bucket is a plain 404 there, while some stores answer a
            // listing of one with other errors (Ceph RGW 16 sometimes says MethodNotAllowed).
            try
            {
                await _s3.HeadBucketAsync(new HeadBucketRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                throw FerryException.Permanent(ErrorCodes.NotFound, $"{Describe("")}: the bucket does not exist", e);
            }
            catch (AmazonS3Exception)
            {
                // A HEAD error has no body (a bad secret and a denied bucket both say 403): the
                // listing below fails with a precise error code.
            }

            await _s3.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = _options.Bucket,
                Prefix = _keys.ListPrefix(""),
                MaxKeys = 1,
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public async IAsyncEnumerable<RemoteEntry> ListAsync(string path, ListOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = _options.Bucket,
            Prefix = _keys.ListPrefix(path),
            Delimiter = options.Recursive ? null : "/",
            MaxKeys = Math.Clamp(options.PageSize, 1, 1000),
        };
        while (true)
        {
            var page = await RunAsync(Describe(path), () => _s3.ListObjectsV2Async(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var prefix in page.CommonPrefixes ?? [])
            {
                if (_keys.RelativePath(prefix) is { } rel)
                {
                    yield return new RemoteEntry(rel, IsDirectory: true, 0, null);
                }
            }

            foreach (var o in page.S3Objects ?? [])
            {
                // "folder/" placeholder objects made by consoles are not files.
                if (o.Key.EndsWith('/') || _keys.RelativePath(o.Key) is not { } rel)
                {
                    continue;
                }

                yield return new RemoteEntry(rel, IsDirectory: false, o.Size ?? 0, ToOffset(o.LastModified), Unquote(o.ETag));
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public async Task<RemoteEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var key = _keys.ObjectKey(path, Describe(path));
        try
        {
            var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken)
                .ConfigureAwait(false);
            return new RemoteEntry(RemotePath.Normalize(path), IsDirectory: false, head.ContentLength, ToOffset(head.LastModified),
                Unquote(head.ETag), NullIfEmpty(head.Metadata[Sha256MetadataKey]), NullIfEmpty(head.Metadata[TriggerMetadataKey]));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden)
        {
            // A HEAD response has no body, so a bad secret and a denied object look alike. A
            // listing says which (SignatureDoesNotMatch, InvalidAccessKeyId or AccessDenied).
            await CheckAsync(cancellationToken).ConfigureAwait(false);
            throw S3Errors.Classify(e, Describe(path));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw S3Errors.Classify(ex, Describe(path));
        }
    }

    public async Task<Stream> OpenReadAsync(string path, long offset, long? length, CancellationToken cancellationToken)
    {
        var key = _keys.ObjectKey(path, Describe(path));
        if (length == 0)
        {
            return Stream.Null;
        }

        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = key };
        if (offset > 0 || length is not null)
        {
            request.ByteRange = length is { } l ? new ByteRange(offset, offset + l - 1) : new ByteRange($"bytes={offset}-");
        }

        var response = await RunAsync(Describe(path), () => _s3.GetObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new S3ReadStream(response, Describe(path));
    }

    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var key = _keys.ObjectKey(path, Describe(path));
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            // Already gone.
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw S3Errors.Classify(ex, Describe(path));
        }
    }

    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        // S3 has no rename: copy inside the store, then delete. Not atomic; readers may see both.
        await CopyFromAsync(this, from, to, WriteOptions.Default, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(from, cancellationToken).ConfigureAwait(false);
    }

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        _ = RemotePath.Normalize(path); // S3 has no directories; keys imply them. Still reject bad paths.
        return Task.CompletedTask;
    }

    /// <summary>
    /// Set once a copy inside the store came back without the endpoint's server-side encryption:
    /// copies then stream through Ferry (<see cref="S3ServerSideCopier"/>).
    /// </summary>
    internal bool CopyIgnoresEncryption { get; set; }

    public bool CanCopyFrom(IConnector source) =>
        source is S3Connector other
        && string.Equals(other._options.ServiceUrl?.TrimEnd('/'), _options.ServiceUrl?.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
        && string.Equals(other._options.Region ?? "us-east-1", _options.Region ?? "us-east-1", StringComparison.OrdinalIgnoreCase)
        && other._options.UseFips == _options.UseFips
        && other._options.AccessKeyId == _options.AccessKeyId;

    public Task<WriteResult> CopyFromAsync(IConnector source, string sourcePath, string targetPath, WriteOptions options, CancellationToken cancellationToken)
    {
        if (source is not S3Connector s3Source || !CanCopyFrom(source))
        {
            throw FerryException.Permanent(ErrorCodes.Unsupported, $"{Describe(targetPath)} cannot copy from {source.Describe(sourcePath)} inside the store");
        }

        return new S3ServerSideCopier(this).CopyAsync(s3Source, sourcePath, targetPath, options, cancellationToken);
    }

    public async IAsyncEnumerable<PendingUpload> ListPendingAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = _keys.ListPrefix("") + RemotePath.Normalize(prefix) };
        while (true)
        {
            var page = await RunAsync(Describe(prefix), () => _s3.ListMultipartUploadsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var u in page.MultipartUploads ?? [])
            {
                yield return new PendingUpload(_keys.RelativePath(u.Key) ?? u.Key, u.UploadId, ToOffset(u.Initiated));
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public Task AbortAsync(PendingUpload upload, CancellationToken cancellationToken) =>
        RunAsync(Describe(upload.Path), () => _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = _keys.ObjectKey(upload.Path, Describe(upload.Path)),
            UploadId = upload.UploadId,
        }, cancellationToken), cancellationToken);

    public ValueTask DisposeAsync()
    {
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

    internal string KeyOf(string path) => _keys.ObjectKey(path, Describe(path));

    internal static async Task<T> RunAsync<T>(string where, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The SDK reports its own timeouts as TaskCanceledException; those are classified.
            throw S3Errors.Classify(ex, where);
        }
    }

    internal static string? Unquote(string? etag) => etag?.Trim('"');

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static DateTimeOffset? ToOffset(DateTime? t) =>
        t is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc)) : null;
}
