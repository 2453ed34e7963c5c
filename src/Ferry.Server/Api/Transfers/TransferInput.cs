using Ferry.Core.Jobs;
using Ferry.Core.Transfers;
using Ferry.Server.Api.Endpoints;

namespace Ferry.Server.Api.Transfers;

/// <summary>Field checks for transfer requests.</summary>
internal static class TransferInput
{
    public static void CheckLocation(FieldErrors errors, string side, LocationInput? location)
    {
        if (location is null)
        {
            errors.Add(side, "is required: {\"endpoint_id\": ..., \"path\": ...}");
            return;
        }

        if (string.IsNullOrWhiteSpace(location.EndpointId) || location.EndpointId.Length > 64)
        {
            errors.Add($"{side}.endpoint_id", "is required");
        }

        if (location.Path is null)
        {
            errors.Add($"{side}.path", "is required (relative to the endpoint's base; \"\" is the base itself)");
            return;
        }

        EndpointInput.CheckPath(errors, $"{side}.path", location.Path, allowAbsolute: false);
        if (side == "target" && Ferry.Core.Paths.Glob.IsGlob(location.Path))
        {
            errors.Add("target.path", "cannot be a glob");
        }
    }

    public static JobPolicy? Policy(FieldErrors errors, PolicyInput? input)
    {
        var overwrite = input?.Overwrite switch
        {
            null or "overwrite" => OverwriteMode.Overwrite,
            "skip_if_identical" => OverwriteMode.SkipIfIdentical,
            "fail_if_exists" => (OverwriteMode?)OverwriteMode.FailIfExists,
            _ => null,
        };
        if (overwrite is null)
        {
            errors.Add("policy.overwrite", "must be overwrite, skip_if_identical or fail_if_exists");
        }

        var verify = input?.Verify switch
        {
            null or "checksum" => VerifyMode.Checksum,
            "read_back" => (VerifyMode?)VerifyMode.ReadBack,
            _ => null,
        };
        if (verify is null)
        {
            errors.Add("policy.verify", "must be checksum or read_back");
        }

        var retry = new RetryPolicy();
        if (input?.Retry is { } r)
        {
            if (r.MaxAttempts is < 1 or > 20)
            {
                errors.Add("policy.retry.max_attempts", "must be between 1 and 20");
            }

            if (r.InitialBackoffSeconds is < 0.1 or > 3600 || r.InitialBackoffSeconds is double.NaN)
            {
                errors.Add("policy.retry.initial_backoff_seconds", "must be between 0.1 and 3600");
            }

            if (r.MaxBackoffSeconds is < 0.1 or > 86400 || r.MaxBackoffSeconds < r.InitialBackoffSeconds)
            {
                errors.Add("policy.retry.max_backoff_seconds", "must be between 0.1 and 86400 and not below initial_backoff_seconds");
            }

            retry = new RetryPolicy
            {
                MaxAttempts = r.MaxAttempts ?? retry.MaxAttempts,
                InitialBackoff = r.InitialBackoffSeconds is { } i ? TimeSpan.FromSeconds(i) : retry.InitialBackoff,
                MaxBackoff = r.MaxBackoffSeconds is { } m ? TimeSpan.FromSeconds(m) : retry.MaxBackoff,
            };
        }

        return overwrite is null || verify is null ? null : new JobPolicy { Overwrite = overwrite.Value, Verify = verify.Value, Retry = retry };
    }

    /// <summary>An Idempotency-Key header: 1-255 visible ASCII characters.</summary>
    public static bool IsValidIdempotencyKey(string key) => key.Length is > 0 and <= 255 && key.All(c => c is > ' ' and < (char)127);
}
