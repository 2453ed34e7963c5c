using System.Globalization;
using System.Text;
using Ferry.Cli.Remote;

namespace Ferry.Cli.Output;

/// <summary>How the remote commands show jobs: a table of many, or one job with its attempts.</summary>
internal static class JobOutput
{
    public static string Table(IEnumerable<JobDto> jobs)
    {
        var table = new PlainTable("JOB", "STATUS", "SOURCE", "TARGET", "BYTES", "ERROR");
        foreach (var j in jobs)
        {
            table.Add(j.JobId, j.Status + (j.Pruned == true ? " (pruned)" : ""), Location(j.Source), Location(j.Target), j.Bytes is { } b ? Units.Bytes(b) : null,
                Error(j.ErrorCode, j.ErrorMessage));
        }

        return table.ToString();
    }

    public static string Detail(JobDto j)
    {
        var text = new StringBuilder();
        void Line(string name, string? value)
        {
            if (value is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"{name + ":",-12} {value}\n");
            }
        }

        Line("job", j.JobId);
        Line("status", j.Status + (j.Pruned == true ? " (its record was pruned by the job retention)" : ""));
        Line("flow", j.FlowType);
        Line("source", Location(j.Source));
        Line("target", Location(j.Target));
        Line("batch", j.BatchId);
        Line("redrive of", j.RedriveOf);
        Line("bytes", j.Bytes is { } b ? $"{Units.Bytes(b)} ({b.ToString("N0", CultureInfo.InvariantCulture)} bytes)" : null);
        Line("sha256", j.Sha256);
        Line("created", Time(j.CreatedAt));
        Line("finished", j.FinishedAt is { } f ? Time(f) : null);
        Line("took", j.DurationSeconds is { } d ? $"{d:0.0} s" + (j.BytesPerSecond is { } r ? $" ({Units.Rate(r)})" : "") : null);
        Line("next try", j.NextAttemptAt is { } n ? Time(n) : null);
        Line("progress", j.Progress is { } p ? $"{p.Describe()}, as of {Time(p.AsOf)}" : null);
        Line("error", Error(j.ErrorCode, j.ErrorMessage));
        if (j.Attempts is { Count: > 0 } attempts)
        {
            text.Append("attempts:\n");
            var table = new PlainTable("  #", "STARTED", "WORKER", "REGION", "OUTCOME", "ERROR");
            foreach (var a in attempts)
            {
                var outcome = (a.Outcome ?? "running") + (a.ResumedFromByte is { } from ? $" (resumed at {Units.Bytes(from)})" : "");
                table.Add("  " + a.Number.ToString(CultureInfo.InvariantCulture), Time(a.StartedAt), a.Worker, a.Region, outcome, Error(a.ErrorCode, a.ErrorMessage));
            }

            text.Append(table);
            foreach (var a in attempts.Where(a => a.Notes is { Count: > 0 }))
            {
                foreach (var note in a.Notes!)
                {
                    text.Append(CultureInfo.InvariantCulture, $"  attempt {a.Number}: {note}\n");
                }
            }
        }

        return text.ToString();
    }

    public static string Location(LocationDto l) => $"{l.EndpointId}:{l.Path}";

    public static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Error(string? code, string? message) => code is null ? null : message is null ? code : $"{code}: {message}";
}
