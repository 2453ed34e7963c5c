using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Output;
using Ferry.Cli.Remote;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry jobs list|show|watch|cancel|redrive</c>: the caller's jobs on a Ferry server.</summary>
internal static class JobsCommand
{
    private static readonly Argument<string> JobId = new("job") { Description = "The job's id (job_...)" };
    private static readonly Option<string?> Status = new("--status") { Description = "Only jobs in this state (QUEUED, RUNNING, SUCCEEDED, FAILED, ...)" };
    private static readonly Option<string?> Batch = new("--batch") { Description = "Only the jobs of this batch (one transfer request, schedule run or trigger)" };
    private static readonly Option<string?> Endpoint = new("--endpoint") { Description = "Only jobs from or to this endpoint id" };
    private static readonly Option<int> Limit = new("--limit") { Description = "At most this many jobs (1-1000)", DefaultValueFactory = _ => 50 };
    private static readonly Option<string?> Cursor = new("--cursor") { Description = "Continue a list where the previous one stopped" };
    private static readonly Option<int?> Timeout = new("--timeout") { Description = "Give up watching after this many seconds (exit 3; the job carries on)" };

    public static Command Create()
    {
        Limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                r.AddError("--limit must be between 1 and 1000");
            }
        });
        var list = new Command("list", "List jobs, newest first") { Status, Batch, Endpoint, Limit, Cursor, RemoteCommand.Json };
        list.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ListAsync(api, parse, ct)));
        var show = new Command("show", "Show a job: status, bytes, checksum, each attempt and its error") { JobId, RemoteCommand.Json };
        show.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ShowAsync(api, parse, ct)));
        var watch = new Command("watch", "Follow a job until it finishes; exit 0 if it SUCCEEDED, 1 if it FAILED or was CANCELLED") { JobId, Timeout };
        watch.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => WatchAsync(api, parse, ct)));
        var cancel = new Command("cancel", "Cancel a job that has not started (RECEIVED or QUEUED)") { JobId, RemoteCommand.Json };
        cancel.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ActAsync(api, parse, "cancel", ct)));
        var redrive = new Command("redrive", "Run a FAILED job again, or deliver a SUCCEEDED job's file again, as a new job") { JobId, RemoteCommand.Json };
        redrive.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ActAsync(api, parse, "redrive", ct)));
        return new Command("jobs", "The jobs on a Ferry server (--server, FERRY_SERVER; key from FERRY_API_KEY or --api-key-file)")
        {
            list, show, watch, cancel, redrive, ServerConnection.Server, ServerConnection.ApiKeyFile,
        };
    }

    /// <summary>Every job the query finds, following the cursor.</summary>
    public static Task<Listing<JobDto>> ListAllAsync(FerryApi api, string query, CancellationToken cancellationToken) =>
        Listing<JobDto>.AllAsync(api, "v1/jobs?" + query, "jobs", RemoteJson.Default.JobPageDto, p => p.Jobs, p => p.NextCursor, cancellationToken);

    private static async Task<int> ListAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var query = new List<string> { "limit=" + parse.GetValue(Limit).ToString(CultureInfo.InvariantCulture) };
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Add(name + "=" + RemoteCommand.Escape(value));
            }
        }

        Add("status", parse.GetValue(Status)?.ToUpperInvariant());
        Add("batch_id", parse.GetValue(Batch));
        Add("endpoint_id", parse.GetValue(Endpoint));
        Add("cursor", parse.GetValue(Cursor));
        var page = await api.GetAsync("v1/jobs?" + string.Join('&', query), RemoteJson.Default.JobPageDto, cancellationToken);
        if (parse.GetValue(RemoteCommand.Json))
        {
            Console.WriteLine(page.Json);
            return ExitCodes.Ok;
        }

        Console.Write(JobOutput.Table(page.Value.Jobs));
        if (page.Value.NextCursor is { } next)
        {
            await Console.Error.WriteLineAsync($"ferry: more jobs: add --cursor {next}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var job = await GetAsync(api, parse.GetRequiredValue(JobId), cancellationToken);
        Console.Write(parse.GetValue(RemoteCommand.Json) ? job.Json + "\n" : JobOutput.Detail(job.Value));
        return ExitCodes.Ok;
    }

    private static async Task<int> WatchAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var timeout = parse.GetValue(Timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var job = (await JobWatch.UntilFinishedAsync(api, parse.GetRequiredValue(JobId), timeout, line => Console.Error.WriteLine(line), cancellationToken)).Value;
        if (!job.IsFinished)
        {
            await Console.Error.WriteLineAsync($"ferry: stopped watching; {job.JobId} is {job.Status} and carries on");
            return ExitCodes.Transient;
        }

        Console.Write(JobOutput.Detail(job));
        return job.Status == "SUCCEEDED" ? ExitCodes.Ok : ExitCodes.Permanent;
    }

    /// <summary>cancel or redrive: prints the job the server answers with (for a re-drive, the new job).</summary>
    private static async Task<int> ActAsync(FerryApi api, ParseResult parse, string action, CancellationToken cancellationToken)
    {
        var answer = await api.PostAsync($"v1/jobs/{RemoteCommand.Escape(parse.GetRequiredValue(JobId))}/{action}", RemoteJson.Default.JobDto, cancellationToken);
        Console.Write(parse.GetValue(RemoteCommand.Json) ? answer.Json + "\n" : JobOutput.Table([answer.Value]));
        return ExitCodes.Ok;
    }

    private static Task<Answer<JobDto>> GetAsync(FerryApi api, string id, CancellationToken cancellationToken) =>
        api.GetAsync($"v1/jobs/{RemoteCommand.Escape(id)}", RemoteJson.Default.JobDto, cancellationToken);
}
