using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Connectors.S3;

/// <summary>
/// The S3 part of a <see cref="Core.Connectors.WriteCheckpoint"/>: the multipart upload, its part
/// size, how many leading parts are uploaded, and a digest of their ETags. The ETags themselves
/// stay with the store (ListParts gives them back); keeping only their digest holds a checkpoint
/// to a few hundred bytes for 10,000 parts, and still proves on resume that the parts the store
/// lists are the ones this upload sent.
/// </summary>
internal sealed record MultipartCheckpoint(
    [property: JsonPropertyName("upload_id")] string UploadId,
    [property: JsonPropertyName("part_size")] long PartSize,
    [property: JsonPropertyName("parts")] int Parts,
    [property: JsonPropertyName("etags_sha256")] string ETagsDigest)
{
    public string Serialize() => JsonSerializer.Serialize(this, MultipartCheckpointJson.Default.MultipartCheckpoint);

    /// <summary>The checkpoint in <paramref name="store"/>, or null when it is not one of these.</summary>
    public static MultipartCheckpoint? TryParse(string store)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize(store, MultipartCheckpointJson.Default.MultipartCheckpoint);
            return parsed is { UploadId.Length: > 0, PartSize: > 0, Parts: >= 0, ETagsDigest.Length: 64 } ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A running SHA-256 over the ETags of parts 1, 2, ... in order (unquoted, lower case, one per line).</summary>
    public sealed class ETagDigest : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Add(string etag) => _hash.AppendData(Encoding.UTF8.GetBytes(Normalize(etag) + "\n"));

        public string Current() => Convert.ToHexStringLower(_hash.GetCurrentHash());

        public void Dispose() => _hash.Dispose();
    }

    public static string Normalize(string etag) => etag.Trim('"').ToLowerInvariant();
}

/// <summary>Source-generated (no reflection: the ferry command is Native AOT).</summary>
[JsonSerializable(typeof(MultipartCheckpoint))]
internal sealed partial class MultipartCheckpointJson : JsonSerializerContext;
