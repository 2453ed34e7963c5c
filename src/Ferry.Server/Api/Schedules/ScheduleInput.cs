using Ferry.Core.Paths;
using Ferry.Core.Schedules;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Transfers;

namespace Ferry.Server.Api.Schedules;

/// <summary>
/// Field checks for schedules. A PATCH is merged into the stored schedule first and the result
/// checked whole, so a change can never leave a schedule that a create would have refused.
/// </summary>
internal static class ScheduleInput
{
    private const int MaxPatterns = 20;

    /// <summary>The schedule <paramref name="body"/> describes, on top of <paramref name="current"/> for a PATCH; null when a field is wrong.</summary>
    public static Schedule? Build(FieldErrors errors, ScheduleBody body, Schedule template, bool creating)
    {
        var name = RuleInput.Name(errors, body.Name, template.Name);

        var source = body.Source;
        if (creating && source is null)
        {
            errors.Add("source", "is required: {\"endpoint_id\": ..., \"path\": \"directory/\"}");
        }

        var sourceEndpoint = source?.EndpointId ?? template.SourceEndpointId;
        var sourcePath = source?.Path ?? template.SourcePath;
        if (string.IsNullOrWhiteSpace(sourceEndpoint) || sourceEndpoint.Length > 64)
        {
            errors.Add("source.endpoint_id", "is required");
        }

        EndpointInput.CheckPath(errors, "source.path", sourcePath, allowAbsolute: false);
        if (Glob.IsGlob(sourcePath))
        {
            errors.Add("source.path", "names the directory or prefix to list; put patterns in source.include");
        }

        var include = source?.Include ?? [.. template.Include];
        var exclude = source?.Exclude ?? [.. template.Exclude];
        CheckPatterns(errors, "source.include", include);
        CheckPatterns(errors, "source.exclude", exclude);

        var (targetEndpoint, targetPath) = RuleInput.Target(errors, body.Target, template.TargetEndpointId, template.TargetPath, creating);

        var policy = body.Policy is null ? null : TransferInput.Policy(errors, body.Policy);
        var trigger = body.Trigger is null ? template.Trigger : Trigger(errors, body.Trigger);
        if (creating && body.Trigger is null)
        {
            errors.Add("trigger", "is required: {\"cron\": \"*/5 * * * *\", \"time_zone\": \"UTC\"} or {\"interval_seconds\": 300}");
        }

        var minAge = Seconds(errors, "min_age_seconds", body.MinAgeSeconds, 0, 7 * 86400) ?? template.MinAge;
        var stable = Seconds(errors, "stable_seconds", body.StableSeconds, 0, 300) ?? template.StableFor;
        var markers = body.MarkerSuffixes ?? [.. template.MarkerSuffixes];
        if (markers.Count > 5 || markers.Any(m => m is null || m.Length is < 2 or > 20 || m[0] != '.' || m.Contains('/') || m.Any(char.IsControl)))
        {
            errors.Add("marker_suffixes", "takes at most 5 suffixes like \".done\" or \".ok\" (a dot, then 1-19 characters, no '/')");
        }

        var recursive = source?.Recursive ?? template.Recursive;
        var afterSuccess = AfterSuccessRules.Merge(errors, body.AfterSuccess, template.AfterSuccess, sourcePath, recursive);

        return errors.Any ? null : template with
        {
            Name = name,
            SourceEndpointId = sourceEndpoint,
            SourcePath = RemotePath.Normalize(sourcePath),
            Include = include,
            Exclude = exclude,
            Recursive = recursive,
            TargetEndpointId = targetEndpoint,
            TargetPath = targetPath,
            PolicyJson = policy?.ToJson() ?? template.PolicyJson,
            Trigger = trigger!,
            MinAge = minAge,
            StableFor = stable,
            MarkerSuffixes = markers,
            AfterSuccess = afterSuccess!,
        };
    }

    private static ScheduleTrigger? Trigger(FieldErrors errors, TriggerInput input)
    {
        if ((input.Cron is null) == (input.IntervalSeconds is null))
        {
            errors.Add("trigger", "takes exactly one of cron and interval_seconds");
            return null;
        }

        if (input.IntervalSeconds is { } seconds)
        {
            if (input.TimeZone is not null)
            {
                errors.Add("trigger.time_zone", "applies to cron triggers only");
            }

            if (seconds is < 1 or > 31 * 86400 || double.IsNaN(seconds))
            {
                errors.Add("trigger.interval_seconds", "must be between 1 and 2678400 (31 days)");
                return null;
            }

            return new ScheduleTrigger { Interval = TimeSpan.FromSeconds(seconds) };
        }

        var zone = input.TimeZone ?? "UTC";
        try
        {
            ScheduleTiming.FindTimeZone(zone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            errors.Add("trigger.time_zone", $"'{zone}' is not a known IANA time zone (e.g. UTC, Europe/Paris, America/New_York)");
        }

        try
        {
            ScheduleTiming.ParseCron(input.Cron!);
        }
        catch (Exception ex) when (ex is Cronos.CronFormatException or ArgumentException)
        {
            errors.Add("trigger.cron", $"is not a valid cron expression (five fields, or six with seconds first): {ex.Message}");
        }

        return new ScheduleTrigger { Cron = input.Cron!.Trim(), TimeZone = zone };
    }

    private static void CheckPatterns(FieldErrors errors, string field, List<string> patterns)
    {
        if (patterns.Count > MaxPatterns)
        {
            errors.Add(field, $"takes at most {MaxPatterns} patterns");
        }

        foreach (var p in patterns)
        {
            if (string.IsNullOrEmpty(p) || p.Length > 256 || p.Any(char.IsControl) || p.StartsWith('/') || p.Split('/').Contains(".."))
            {
                errors.Add(field, $"'{p}' is not a usable pattern: 1-256 characters, relative, no '..' (e.g. \"*.csv\", \"**/*.xml\")");
            }
        }
    }

    private static TimeSpan? Seconds(FieldErrors errors, string field, double? value, double min, double max)
    {
        if (value is not { } v)
        {
            return null;
        }

        if (v < min || v > max || double.IsNaN(v))
        {
            errors.Add(field, $"must be between {min} and {max}");
            return null;
        }

        return TimeSpan.FromSeconds(v);
    }
}
