using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Ferry.Core.Connectors;

namespace Ferry.Connectors.S3;

/// <summary>
/// Reads back the multipart upload a checkpoint names: the upload must still exist and list, as
/// parts 1 to N, full-size parts whose ETags hash to the digest the checkpoint recorded.
/// </summary>
internal static class MultipartResume
{
    /// <summary>The upload to continue and the ETags of its kept parts, or null when it cannot be continued.</summary>
    public sealed record Kept(MultipartCheckpoint Checkpoint, IReadOnlyList<string> ETags);

    public static async Task<Kept?> ReadBackAsync(
        IAmazonS3 s3, string bucket, string key, WriteCheckpoint checkpoint, MultipartPlan plan, CancellationToken cancellationToken)
    {
        if (MultipartCheckpoint.TryParse(checkpoint.Store) is not { } upload
            || upload.PartSize != plan.PartSize
            || upload.Parts >= plan.PartCount
            || checkpoint.Offset != upload.Parts * upload.PartSize)
        {
            return null;
        }

        var etags = new List<string>(upload.Parts);
        var request = new ListPartsRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, MaxParts = 1000 };
        try
        {
            // At least one page, even for no kept parts: the upload itself must still exist.
            while (true)
            {
                var page = await s3.ListPartsAsync(request, cancellationToken).ConfigureAwait(false);
                foreach (var part in page.Parts ?? [])
                {
                    // Parts after the kept ones (sent after the checkpoint was taken) will be sent again.
                    if (etags.Count == upload.Parts || part.PartNumber != etags.Count + 1)
                    {
                        break;
                    }

                    if (part.Size != upload.PartSize)
                    {
                        return null;
                    }

                    etags.Add(MultipartCheckpoint.Normalize(part.ETag));
                }

                var next = page.NextPartNumberMarker?.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (etags.Count == upload.Parts || page.IsTruncated != true || next is null || next == request.PartNumberMarker)
                {
                    break;
                }

                request.PartNumberMarker = next;
            }
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // NoSuchUpload: completed, aborted, or expired by a lifecycle rule.
            return null;
        }

        if (etags.Count != upload.Parts)
        {
            return null;
        }

        using var digest = new MultipartCheckpoint.ETagDigest();
        etags.ForEach(digest.Add);
        return digest.Current() == upload.ETagsDigest ? new Kept(upload, etags) : null;
    }
}
