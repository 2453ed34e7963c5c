using Ferry.Core;
using Ferry.Core.Audit;

namespace Ferry.Engine.Jobs;

/// <summary>Entries the engine writes to a job's audit trail, with this worker as the actor.</summary>
internal static class JobAudit
{
    public static Task AppendJobAsync(this IAuditLog audit, EngineOptions options, TimeProvider time, string customerId, string jobId, string action, string changes) =>
        audit.AppendAsync(new AuditEntry(Ids.Sequential("aud_", time), customerId, time.GetUtcNow(), options.WorkerId, action, "job", jobId, changes), CancellationToken.None);
}
