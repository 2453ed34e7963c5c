using Ferry.Core.Triggers;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Transfers;

namespace Ferry.Server.Api.Triggers;

/// <summary>Field checks for triggers; a PATCH is merged into the stored trigger first and the result checked whole.</summary>
internal static class TriggerInput
{
    public static Trigger? Build(FieldErrors errors, TriggerBody body, Trigger template, bool creating)
    {
        var name = RuleInput.Name(errors, body.Name, template.Name);

        if (creating && body.Source is null)
        {
            errors.Add("source", "is required: {\"endpoint_id\": ..., \"prefix\": \"incoming/\", \"suffix\": \".csv\"}");
        }

        var sourceEndpoint = body.Source?.EndpointId ?? template.SourceEndpointId;
        if (string.IsNullOrWhiteSpace(sourceEndpoint) || sourceEndpoint.Length > 64)
        {
            errors.Add("source.endpoint_id", "is required");
        }

        var prefix = body.Source?.Prefix ?? template.Prefix;
        if (prefix.Length > 1024 || prefix.Any(char.IsControl) || prefix.StartsWith('/') || prefix.Split('/').Any(s => s is "." or ".."))
        {
            errors.Add("source.prefix", "must be relative to the endpoint's prefix: at most 1024 characters, no leading '/', no '.' or '..' segments");
        }

        var suffix = body.Source?.Suffix ?? template.Suffix;
        if (suffix.Length > 256 || suffix.Any(char.IsControl) || suffix.Contains('/'))
        {
            errors.Add("source.suffix", "must be at most 256 characters without '/' (e.g. \".csv\")");
        }

        var queue = body.Source?.SqsQueueUrl is { } given ? (given.Length == 0 ? null : given) : template.SqsQueueUrl;
        if (queue is not null && (!Uri.TryCreate(queue, UriKind.Absolute, out var queueUrl) || queueUrl.Scheme is not ("https" or "http")
            || queue.Length > 1024 || queueUrl.UserInfo.Length > 0 || queueUrl.AbsolutePath.Length < 2))
        {
            errors.Add("source.sqs_queue_url", "must be an SQS queue URL like https://sqs.eu-west-1.amazonaws.com/123456789012/uploads (\"\" removes it)");
        }

        var (targetEndpoint, targetPath) = RuleInput.Target(errors, body.Target, template.TargetEndpointId, template.TargetPath, creating);

        var policy = body.Policy is null ? null : TransferInput.Policy(errors, body.Policy);
        // S3 prefixes match everything below them, so an archive anywhere under the prefix's directory would fire the trigger again.
        var listed = Trigger.RootOf(prefix);
        var afterSuccess = AfterSuccessRules.Merge(errors, body.AfterSuccess, template.AfterSuccess, listed, recursive: true);

        var reconcile = template.ReconcileEvery;
        if (body.ReconcileSeconds is { } seconds)
        {
            if (seconds != 0 && (seconds is < 60 or > 86400 || double.IsNaN(seconds)))
            {
                errors.Add("reconcile_seconds", "must be 0 (never) or between 60 and 86400");
            }

            reconcile = seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
        }

        return errors.Any ? null : template with
        {
            Name = name,
            SourceEndpointId = sourceEndpoint,
            Prefix = prefix,
            Suffix = suffix,
            TargetEndpointId = targetEndpoint,
            TargetPath = targetPath,
            PolicyJson = policy?.ToJson() ?? template.PolicyJson,
            AfterSuccess = afterSuccess!,
            ReconcileEvery = reconcile,
            SqsQueueUrl = queue,
        };
    }
}
