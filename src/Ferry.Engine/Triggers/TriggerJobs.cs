using Ferry.Core.Connectors;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Schedules;
using Ferry.Core.Triggers;

namespace Ferry.Engine.Triggers;

/// <summary>
/// Where a trigger's source objects are and the job one of them becomes; shared by the event
/// intake and the reconciliation sweep, so an object reached both ways gets the same job.
/// </summary>
internal static class TriggerJobs
{
    /// <summary>The connector path of <paramref name="key"/> when the trigger's endpoint and filters take it; else null.</summary>
    public static string? Match(Trigger trigger, Endpoint source, string bucket, string key)
    {
        if (source.S3 is not { } s3 || s3.Bucket != bucket)
        {
            return null;
        }

        var basePrefix = RemotePath.Normalize(s3.Prefix);
        basePrefix = basePrefix.Length == 0 ? "" : basePrefix + "/";
        return key.StartsWith(basePrefix, StringComparison.Ordinal) && trigger.Takes(key[basePrefix.Length..]) ? key[basePrefix.Length..] : null;
    }

    /// <summary>The job for one object version the trigger takes.</summary>
    public static JobSubmission Submission(Trigger trigger, Endpoint source, Endpoint target, RemoteEntry entry, string relative, DateTimeOffset now)
    {
        var root = Trigger.RootOf(trigger.Prefix);
        var underRoot = root.Length == 0 ? relative : relative[(root.Length + 1)..];
        var file = new FileToTransfer(entry, relative, PathTemplate.Render(trigger.TargetPath, underRoot, entry.LastModified, TimeZoneInfo.Utc));
        var after = trigger.AfterSuccess.Kind == SourceActionKind.Move
            ? trigger.AfterSuccess with { ArchivePath = PathTemplate.Render(trigger.AfterSuccess.ArchivePath!, underRoot, entry.LastModified, TimeZoneInfo.Utc) }
            : trigger.AfterSuccess;
        var policy = JobPolicy.FromJson(trigger.PolicyJson) with { AfterSuccess = after };
        return FileJobs.Submit(trigger.CustomerId, source, target, file, FileJobs.Key(trigger.CustomerId, source.EndpointId, file, target.EndpointId),
            trigger.BatchId, policy, now, "trigger:" + trigger.TriggerId);
    }
}
