using System.Net;
using System.Text.Json;

namespace Ferry.Core.Triggers;

/// <summary>One object-level record of an S3 event notification.</summary>
/// <param name="Key">As the event carries it (URL-encoded by AWS; RGW sends it plain).</param>
public sealed record S3ObjectEvent(string EventName, string Bucket, string Key, long? Size, string? ETag, string? Sequencer)
{
    public bool IsObjectCreated => EventName.Contains("ObjectCreated", StringComparison.Ordinal);

    /// <summary>The key as stored: AWS form-encodes it ('+' for a space), so try decoded first, then as sent.</summary>
    public IEnumerable<string> CandidateKeys()
    {
        var decoded = WebUtility.UrlDecode(Key);
        yield return decoded;
        if (decoded != Key)
        {
            yield return Key;
        }
    }
}

/// <summary>
/// Reads S3 event notifications in the forms they arrive in: the S3 JSON itself ({"Records": [...]},
/// from AWS S3 or an S3-compatible server's HTTP push), the same wrapped in an SNS envelope
/// ({"Type": "Notification", "Message": "&lt;the S3 JSON as a string&gt;"}), and the S3 test event
/// ({"Event": "s3:TestEvent"}), which has no records.
/// </summary>
public static class S3EventMessage
{
    /// <summary>The records, or an error saying what is wrong with the message.</summary>
    public static (IReadOnlyList<S3ObjectEvent> Records, string? Error, string? SnsType) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ([], "the body must be a JSON object: an S3 event notification or an SNS envelope", null);
        }

        if (root.TryGetProperty("Type", out var type) && type.ValueKind == JsonValueKind.String && root.TryGetProperty("TopicArn", out _))
        {
            if (type.GetString() != "Notification")
            {
                return ([], null, type.GetString()); // SubscriptionConfirmation, UnsubscribeConfirmation
            }

            if (!root.TryGetProperty("Message", out var message) || message.ValueKind != JsonValueKind.String)
            {
                return ([], "the SNS envelope has no Message string", null);
            }

            try
            {
                using var inner = JsonDocument.Parse(message.GetString()!);
                var (records, error, _) = Parse(inner.RootElement);
                return (records, error is null ? null : "SNS Message: " + error, "Notification");
            }
            catch (JsonException ex)
            {
                return ([], $"the SNS Message is not JSON: {ex.Message}", null);
            }
        }

        if (root.TryGetProperty("Event", out var test) && test.ValueKind == JsonValueKind.String && !root.TryGetProperty("Records", out _))
        {
            return ([], null, null); // s3:TestEvent, sent when a notification is configured
        }

        if (!root.TryGetProperty("Records", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return ([], "expected \"Records\": [...] (an S3 event notification) or an SNS envelope", null);
        }

        var result = new List<S3ObjectEvent>();
        var index = 0;
        foreach (var r in list.EnumerateArray())
        {
            if (Record(r) is { } record)
            {
                result.Add(record);
            }
            else
            {
                return ([], $"Records[{index}] lacks eventName, s3.bucket.name or s3.object.key", null);
            }

            index++;
        }

        return (result, null, null);
    }

    private static S3ObjectEvent? Record(JsonElement r)
    {
        if (r.ValueKind != JsonValueKind.Object
            || Str(r, "eventName") is not { } name
            || !r.TryGetProperty("s3", out var s3) || s3.ValueKind != JsonValueKind.Object
            || !s3.TryGetProperty("bucket", out var bucket) || Str(bucket, "name") is not { } bucketName
            || !s3.TryGetProperty("object", out var obj) || Str(obj, "key") is not { Length: > 0 } key)
        {
            return null;
        }

        long? size = obj.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n) ? n : null;
        return new S3ObjectEvent(name, bucketName, key, size, Str(obj, "eTag") ?? Str(obj, "etag"), Str(obj, "sequencer"));
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
