using System.Security.Cryptography;
using System.Text;
using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;

namespace Ferry.Core.Jobs;

/// <summary>One file found at a source and where it is to go.</summary>
public sealed record FileToTransfer(RemoteEntry Source, string SourcePath, string TargetPath);

/// <summary>
/// New jobs for files, shared by everything that starts transfers (the API, schedules, triggers)
/// so a file reached by any of them gets the same idempotency key: the same version of a file
/// (size, mtime, ETag) between the same two places is one job, however many times it is asked for.
/// </summary>
public static class FileJobs
{
    /// <summary>The key for one version of a file between two places.</summary>
    public static string Key(string customerId, string sourceEndpointId, FileToTransfer file, string targetEndpointId) =>
        Hash(customerId, sourceEndpointId, file.SourcePath, targetEndpointId, file.TargetPath, Identity(file.Source));

    /// <summary>The key for one file of a request sent with an Idempotency-Key header.</summary>
    public static string ClientKey(string customerId, string clientKey, string sourcePath) => Hash(customerId, "idempotency-key", clientKey, sourcePath);

    /// <summary>The batch id of a request sent with an Idempotency-Key header (the same on every replay).</summary>
    public static string ClientBatchId(string customerId, string clientKey) => "bat_" + Hash(customerId, "idempotency-key", clientKey)[..24];

    /// <summary>The job for <paramref name="file"/>, received and queued (see <see cref="JobStateMachine.Submit"/>).</summary>
    public static JobSubmission Submit(
        string customerId, Endpoint source, Endpoint target, FileToTransfer file, string idempotencyKey, string batchId, JobPolicy policy, DateTimeOffset now,
        string actor) =>
        JobStateMachine.Submit(new TransferJob
        {
            JobId = Ids.Sequential("job_"),
            CustomerId = customerId,
            FlowType = $"{source.Scheme}-to-{target.Scheme}",
            SourceEndpointId = source.EndpointId,
            SourcePath = file.SourcePath,
            TargetEndpointId = target.EndpointId,
            TargetPath = file.TargetPath,
            IdempotencyKey = idempotencyKey,
            BatchId = batchId,
            PolicyJson = policy.ToJson(),
            TraceParent = RequestTrace.Current,
            CreatedAt = now,
            UpdatedAt = now,
        }, actor);

    /// <summary>What makes this version of the file this version: size, modification time, ETag.</summary>
    private static string Identity(RemoteEntry f) => $"{f.Size}|{f.LastModified?.ToUnixTimeMilliseconds()}|{f.ETag}";

    private static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))));
}
