using Ferry.Core.Jobs;
using Microsoft.Data.Sqlite;

namespace Ferry.Stores.Sqlite;

/// <summary>Rows to jobs and jobs to parameters.</summary>
internal static class SqliteJobMapping
{
    public static string Status(JobStatus s) => s.ToString().ToUpperInvariant();

    public static JobStatus ParseStatus(string s) => Enum.Parse<JobStatus>(s, ignoreCase: true);

    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static object MsOrNull(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    public static void AddJobParameters(SqliteCommand c, TransferJob j)
    {
        c.Parameters.AddWithValue("$job_id", j.JobId);
        c.Parameters.AddWithValue("$customer_id", j.CustomerId);
        c.Parameters.AddWithValue("$flow_type", j.FlowType);
        c.Parameters.AddWithValue("$source_endpoint_id", j.SourceEndpointId);
        c.Parameters.AddWithValue("$source_path", j.SourcePath);
        c.Parameters.AddWithValue("$target_endpoint_id", j.TargetEndpointId);
        c.Parameters.AddWithValue("$target_path", j.TargetPath);
        c.Parameters.AddWithValue("$idempotency_key", j.IdempotencyKey);
        c.Parameters.AddWithValue("$status", Status(j.Status));
        c.Parameters.AddWithValue("$attempts", j.Attempts);
        c.Parameters.AddWithValue("$error_code", (object?)j.ErrorCode ?? DBNull.Value);
        c.Parameters.AddWithValue("$error_message", (object?)j.ErrorMessage ?? DBNull.Value);
        c.Parameters.AddWithValue("$created_at", Ms(j.CreatedAt));
        c.Parameters.AddWithValue("$updated_at", Ms(j.UpdatedAt));
        c.Parameters.AddWithValue("$next_attempt_at", MsOrNull(j.NextAttemptAt));
        c.Parameters.AddWithValue("$execution_region", (object?)j.ExecutionRegion ?? DBNull.Value);
        c.Parameters.AddWithValue("$bytes", (object?)j.Bytes ?? DBNull.Value);
        c.Parameters.AddWithValue("$sha256", (object?)j.Sha256 ?? DBNull.Value);
        c.Parameters.AddWithValue("$batch_id", (object?)j.BatchId ?? DBNull.Value);
        c.Parameters.AddWithValue("$redrive_of", (object?)j.RedriveOf ?? DBNull.Value);
        c.Parameters.AddWithValue("$checkpoint", (object?)j.Checkpoint ?? DBNull.Value);
        c.Parameters.AddWithValue("$policy_json", (object?)j.PolicyJson ?? DBNull.Value);
        c.Parameters.AddWithValue("$lease_owner", (object?)j.LeaseOwner ?? DBNull.Value);
        c.Parameters.AddWithValue("$lease_token", j.LeaseToken);
        c.Parameters.AddWithValue("$lease_expires_at", MsOrNull(j.LeaseExpiresAt));
        c.Parameters.AddWithValue("$version", j.Version);
        c.Parameters.AddWithValue("$trace_parent", (object?)j.TraceParent ?? DBNull.Value);
    }

    public static TransferJob ReadJob(SqliteDataReader r) => new()
    {
        JobId = r.GetString(0),
        CustomerId = r.GetString(1),
        FlowType = r.GetString(2),
        SourceEndpointId = r.GetString(3),
        SourcePath = r.GetString(4),
        TargetEndpointId = r.GetString(5),
        TargetPath = r.GetString(6),
        IdempotencyKey = r.GetString(7),
        Status = ParseStatus(r.GetString(8)),
        Attempts = r.GetInt32(9),
        ErrorCode = r.IsDBNull(10) ? null : r.GetString(10),
        ErrorMessage = r.IsDBNull(11) ? null : r.GetString(11),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(12)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(13)),
        NextAttemptAt = r.IsDBNull(14) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(14)),
        ExecutionRegion = r.IsDBNull(15) ? null : r.GetString(15),
        Bytes = r.IsDBNull(16) ? null : r.GetInt64(16),
        Sha256 = r.IsDBNull(17) ? null : r.GetString(17),
        BatchId = r.IsDBNull(18) ? null : r.GetString(18),
        RedriveOf = r.IsDBNull(19) ? null : r.GetString(19),
        Checkpoint = r.IsDBNull(20) ? null : r.GetString(20),
        PolicyJson = r.IsDBNull(21) ? null : r.GetString(21),
        LeaseOwner = r.IsDBNull(22) ? null : r.GetString(22),
        LeaseToken = r.GetInt64(23),
        LeaseExpiresAt = r.IsDBNull(24) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(24)),
        Version = r.GetInt64(25),
        TraceParent = r.IsDBNull(26) ? null : r.GetString(26),
    };

    public static JobEvent ReadEvent(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt64(1), ParseStatus(r.GetString(2)), ParseStatus(r.GetString(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetString(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7));
}
