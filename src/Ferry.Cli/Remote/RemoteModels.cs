using System.Text.Json.Serialization;

namespace Ferry.Cli.Remote;

// What the commands read of the server's answers (the REST API's snake_case JSON; fields the
// commands do not show are left out and ignored). `--json` prints the server's own JSON instead.

internal sealed record LocationDto(string EndpointId, string Path);

internal sealed record AttemptDto(
    int Number, string? Worker, string? Region, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Outcome, string? ErrorCode, string? ErrorMessage,
    long? ResumedFromByte, IReadOnlyList<string>? Notes);

internal sealed record JobDto(
    string JobId, string Status, string FlowType, LocationDto Source, LocationDto Target, string? BatchId, string? RedriveOf, int AttemptCount,
    IReadOnlyList<AttemptDto>? Attempts, long? Bytes, string? Sha256, string? ErrorCode, string? ErrorMessage, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt, double? DurationSeconds, double? BytesPerSecond, DateTimeOffset? NextAttemptAt, bool? Pruned, ProgressDto? Progress)
{
    public bool IsFinished => Status is "SUCCEEDED" or "FAILED" or "CANCELLED";
}

/// <summary>An unfinished job's progress as its worker last saved it: bytes the target holds, of the file's size.</summary>
internal sealed record ProgressDto(long BytesAtTarget, long TotalBytes, DateTimeOffset AsOf)
{
    public string Describe() =>
        $"{Output.Units.Bytes(BytesAtTarget)} of {Output.Units.Bytes(TotalBytes)} at the target" +
        (TotalBytes > 0 ? System.FormattableString.Invariant($" ({100.0 * BytesAtTarget / TotalBytes:0}%)") : "");
}

internal sealed record JobPageDto(IReadOnlyList<JobDto> Jobs, string? NextCursor);

internal sealed record JobEventDto(long Version, string From, string To, DateTimeOffset At, string Actor, string Kind, string? Detail);

internal sealed record JobEventsDto(IReadOnlyList<JobEventDto> Events);

internal sealed record TransferResultDto(string BatchId, int Created, int Existing, IReadOnlyList<JobDto> Jobs);

internal sealed record BatchDto(string BatchId, long Jobs, long Unfinished, IReadOnlyDictionary<string, long> ByStatus);

internal sealed record EndpointDto(
    string EndpointId, string Name, string Type, string Status, string Direction, int MaxConcurrency, SftpEndpointDto? Sftp, S3EndpointDto? S3,
    long Version, DateTimeOffset? ValidatedAt);

internal sealed record SftpEndpointDto(string Host, int Port, string Username, string BasePath, string HostKeySha256);

internal sealed record S3EndpointDto(string Bucket, string Prefix, string? Region, string? ServiceUrl);

internal sealed record EndpointPageDto(IReadOnlyList<EndpointDto> Endpoints, string? NextCursor);

/// <summary>An RFC 9457 problem as the server sends it; <c>errors</c> names fields and reasons.</summary>
internal sealed record ProblemDto(string? Type, string? Title, int? Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors);

// The request bodies.
internal sealed record TransferRequestDto(LocationDto Source, LocationDto Target, PolicyDto? Policy);

internal sealed record PolicyDto(string? Overwrite, string? Verify, RetryDto? Retry);

internal sealed record RetryDto(int? MaxAttempts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(JobPageDto))]
[JsonSerializable(typeof(JobEventsDto))]
[JsonSerializable(typeof(TransferResultDto))]
[JsonSerializable(typeof(BatchDto))]
[JsonSerializable(typeof(EndpointDto))]
[JsonSerializable(typeof(EndpointPageDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(TransferRequestDto))]
internal sealed partial class RemoteJson : JsonSerializerContext;
