using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Output;
using Ferry.Cli.Remote;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry transfer SRC DST</c>: asks a Ferry server to move files between two of the caller's
/// endpoints (POST /v1/transfers): durable jobs, retried and audited by the server, unlike
/// <c>ferry copy</c>, which moves the bytes itself. With <c>--wait</c> it stays until every job
/// has finished and its exit code says how they ended, which is what a cron job or pipeline needs.
/// </summary>
internal static class TransferCommand
{
    private static readonly Argument<string> Source = new("source") { Description = "ENDPOINT:PATH: an endpoint id or name, a colon, and a file, directory/ or glob under its base path (no leading '/')" };
    private static readonly Argument<string> Target = new("target") { Description = "ENDPOINT:PATH: a file name, or a directory ending in '/'" };
    private static readonly Option<string?> Overwrite = new("--overwrite") { Description = "When the target exists: overwrite, skip-if-identical or fail-if-exists (server default: overwrite)" };
    private static readonly Option<string?> Verify = new("--verify") { Description = "checksum or read-back (server default: checksum)" };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "Attempts per job, transient errors only (server default: 5)" };
    private static readonly Option<string?> IdempotencyKey = new("--idempotency-key")
    {
        Description = "Sent as Idempotency-Key: running the command again with the same key returns the first request's jobs",
    };
    private static readonly Option<bool> Wait = new("--wait", "-w") { Description = "Wait until every job has finished; exit 0 only if all SUCCEEDED" };
    private static readonly Option<int?> Timeout = new("--timeout") { Description = "With --wait: give up waiting after this many seconds (exit 3; the jobs carry on)" };

    public static Command Create()
    {
        Overwrite.AcceptOnlyFromAmong("overwrite", "skip-if-identical", "fail-if-exists");
        Verify.AcceptOnlyFromAmong("checksum", "read-back");
        var command = new Command("transfer", "Ask a Ferry server to transfer files between two endpoints (durable jobs; see 'ferry jobs')")
        {
            Source, Target, Overwrite, Verify, MaxAttempts, IdempotencyKey, Wait, Timeout, RemoteCommand.Json, ServerConnection.Server, ServerConnection.ApiKeyFile,
        };
        IdempotencyKey.Validators.Add(r =>
        {
            // The server's rule; checked here too, because a line break cannot even be sent in a header.
            if (r.GetValueOrDefault<string?>() is { } key && (key.Length is 0 or > 255 || key.Any(c => c is < '!' or > '~')))
            {
                r.AddError("--idempotency-key must be 1-255 visible ASCII characters (no spaces)");
            }
        });
        Timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--timeout must be at least 1 second");
            }
        });
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => RunAsync(api, parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var source = EndpointReference.Parse(parse.GetRequiredValue(Source), "source");
        var target = EndpointReference.Parse(parse.GetRequiredValue(Target), "target");
        var overwrite = parse.GetValue(Overwrite);
        var verify = parse.GetValue(Verify);
        var attempts = parse.GetValue(MaxAttempts);
        var policy = overwrite is null && verify is null && attempts is null
            ? null
            : new PolicyDto(overwrite?.Replace('-', '_'), verify?.Replace('-', '_'), attempts is null ? null : new RetryDto(attempts));
        var ids = await EndpointReference.ResolveAsync(api, [(source, "source"), (target, "target")], cancellationToken);
        var request = new TransferRequestDto(new LocationDto(ids[0], source.Path), new LocationDto(ids[1], target.Path), policy);

        var answer = await api.PostAsync("v1/transfers", request, RemoteJson.Default.TransferRequestDto, RemoteJson.Default.TransferResultDto, cancellationToken,
            parse.GetValue(IdempotencyKey));
        var result = answer.Value;
        var json = parse.GetValue(RemoteCommand.Json);
        if (!parse.GetValue(Wait))
        {
            Console.Write(json ? answer.Json + "\n" : Summary(result) + JobOutput.Table(result.Jobs));
            return ExitCodes.Ok;
        }

        if (!json)
        {
            Console.Write(Summary(result));
        }

        var timeout = parse.GetValue(Timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        void Report(string line) => Console.Error.WriteLine(line);
        Listing<JobDto> jobs;
        if (result.Jobs is [var only])
        {
            // One file: follow the job itself, so a large one shows how far it has got.
            var job = await JobWatch.UntilFinishedAsync(api, only.JobId, timeout, Report, cancellationToken);
            jobs = Listing<JobDto>.Of([(job.Value, job.Json)]);
        }
        else if (result.Existing == 0)
        {
            // All new: the request's batch holds exactly its jobs, and one long poll follows them all.
            var batch = await BatchWait.UntilFinishedAsync(api, result.BatchId, timeout, Report, cancellationToken);
            jobs = await JobsCommand.ListAllAsync(api, $"batch_id={RemoteCommand.Escape(batch.BatchId)}", cancellationToken);
        }
        else
        {
            // Some jobs existed (a rerun): they keep the batches that made them, so follow the jobs.
            var raw = Listing<JobDto>.RawItems(answer.Json, "jobs");
            jobs = await JobSetWait.UntilFinishedAsync(api, [.. result.Jobs.Zip(raw)], timeout, Report, cancellationToken);
        }

        return await ReportAsync(jobs, json);
    }

    private static string Summary(TransferResultDto r) =>
        string.Create(CultureInfo.InvariantCulture, $"batch {r.BatchId}: {r.Created} job{(r.Created == 1 ? "" : "s")} created, {r.Existing} already there\n");

    /// <summary>
    /// After the wait: the jobs that did not succeed (every job, as the server shows them, with
    /// --json), and the exit code: 0 all SUCCEEDED, 1 some FAILED or CANCELLED, 3 some still
    /// unfinished when the wait timed out.
    /// </summary>
    private static async Task<int> ReportAsync(Listing<JobDto> jobs, bool json)
    {
        if (json)
        {
            Console.WriteLine(jobs.Json("jobs"));
        }
        else if (jobs.Items.Any(j => j.Status != "SUCCEEDED"))
        {
            Console.Write(JobOutput.Table(jobs.Items.Where(j => j.Status != "SUCCEEDED")));
        }

        var unfinished = jobs.Items.Count(j => !j.IsFinished);
        if (unfinished > 0)
        {
            await Console.Error.WriteLineAsync($"ferry: stopped waiting with {unfinished} job(s) unfinished; they carry on ('ferry jobs show JOB')");
            return ExitCodes.Transient;
        }

        return jobs.Items.All(j => j.Status == "SUCCEEDED") ? ExitCodes.Ok : ExitCodes.Permanent;
    }
}
