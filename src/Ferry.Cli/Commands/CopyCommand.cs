using System.CommandLine;
using Ferry.Cli.Locations;
using Ferry.Cli.Output;
using Ferry.Connectors.Sftp;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Transfers;
using Ferry.Engine.Flows;
using Spectre.Console;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry copy SRC DST</c>: one file between any two locations, with progress and retries.</summary>
internal static class CopyCommand
{
    private static readonly Argument<string> Source = new("source") { Description = "sftp://user@host[:port]/path, s3://bucket/key or a local path" };
    private static readonly Argument<string> Target = new("target") { Description = "Where to put it; ending in '/' (or an existing directory) keeps the source's name" };

    private static readonly Option<string?> KeyFile = new("--key-file", "-i") { Description = "SSH private key for SFTP (both sides unless --src-/--dst-key-file)" };
    private static readonly Option<string?> SrcKeyFile = new("--src-key-file") { Description = "SSH private key for the source" };
    private static readonly Option<string?> DstKeyFile = new("--dst-key-file") { Description = "SSH private key for the target" };
    private static readonly Option<string?> HostKey = new("--host-key") { Description = "Expected SSH host key, SHA256:... as ssh-keygen -l prints it" };
    private static readonly Option<string?> SrcHostKey = new("--src-host-key") { Description = "Expected host key of the source server" };
    private static readonly Option<string?> DstHostKey = new("--dst-host-key") { Description = "Expected host key of the target server" };
    private static readonly Option<string?> EndpointUrl = new("--endpoint-url") { Description = "S3-compatible service URL (both sides unless --src-/--dst-endpoint-url)" };
    private static readonly Option<string?> SrcEndpointUrl = new("--src-endpoint-url") { Description = "S3 service URL of the source" };
    private static readonly Option<string?> DstEndpointUrl = new("--dst-endpoint-url") { Description = "S3 service URL of the target" };
    private static readonly Option<string?> Region = new("--region") { Description = "AWS region (default: AWS_REGION, else us-east-1)" };
    private static readonly Option<string?> Sse = new("--sse") { Description = "Server-side encryption for S3 targets: none, s3 or kms" };
    private static readonly Option<string?> KmsKeyId = new("--kms-key-id") { Description = "KMS key for --sse kms" };
    private static readonly Option<int?> PartSize = new("--part-size-mib") { Description = "Smallest S3 multipart part in MiB (default 8; grows for very large files)" };
    private static readonly Option<int?> Parallel = new("--parallel") { Description = "S3 parts uploaded at once (default 4)" };
    private static readonly Option<string> Overwrite = new("--overwrite")
    {
        Description = "When the target exists: overwrite, skip-if-identical or fail-if-exists",
        DefaultValueFactory = _ => "overwrite",
    };
    private static readonly Option<string> Verify = new("--verify") { Description = "checksum (default) or read-back", DefaultValueFactory = _ => "checksum" };
    private static readonly Option<string?> Staging = new("--staging") { Description = "Staging directory for SFTP to SFTP (default: a temporary directory)" };
    private static readonly Option<int> Retries = new("--retries") { Description = "Retries after transient errors", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> Transfers = new("--transfers") { Description = "Files copied at once when SRC names many (1-32, default 4)", DefaultValueFactory = _ => 4 };
    private static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "No progress output" };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the result as one JSON line" };

    public static Command Create()
    {
        Overwrite.AcceptOnlyFromAmong("overwrite", "skip-if-identical", "fail-if-exists");
        Verify.AcceptOnlyFromAmong("checksum", "read-back");
        Sse.AcceptOnlyFromAmong("none", "s3", "kms");
        var command = new Command("copy", "Copy a file, or every file under SRC/ or matching a glob, between SFTP servers, S3 buckets and local paths")
        {
            Source, Target, KeyFile, SrcKeyFile, DstKeyFile, HostKey, SrcHostKey, DstHostKey, EndpointUrl, SrcEndpointUrl, DstEndpointUrl,
            Region, Sse, KmsKeyId, PartSize, Parallel, Overwrite, Verify, Staging, Retries, Transfers, Quiet, Json,
        };
        Transfers.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 32)
            {
                r.AddError("--transfers must be between 1 and 32");
            }
        });
        command.SetAction((parse, ct) => RunAsync(parse, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var quiet = parse.GetValue(Quiet) || parse.GetValue(Json);
        Location source, target;
        try
        {
            source = LocationParser.Parse(parse.GetRequiredValue(Source));
            target = LocationParser.Parse(parse.GetRequiredValue(Target));
        }
        catch (LocationException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }

        var password = Environment.GetEnvironmentVariable("FERRY_SFTP_PASSWORD");
        var connections = CopyMany.Applies(source) ? parse.GetValue(Transfers) + 1 : 2;
        var src = Side(parse, SrcKeyFile, SrcHostKey, SrcEndpointUrl, password) with { SftpConnections = connections };
        var dst = Side(parse, DstKeyFile, DstHostKey, DstEndpointUrl, password) with { SftpConnections = connections };
        var policy = new TransferPolicy(
            parse.GetValue(Overwrite) switch { "skip-if-identical" => OverwriteMode.SkipIfIdentical, "fail-if-exists" => OverwriteMode.FailIfExists, _ => OverwriteMode.Overwrite },
            parse.GetValue(Verify) == "read-back" ? VerifyMode.ReadBack : VerifyMode.Checksum);

        IConnector? from = null, to = null, staging = null;
        string? stagingDir = null;
        try
        {
            from = ConnectorFactory.Create(source, src, AskPassword);
            to = ConnectorFactory.Create(target, dst, AskPassword);
            if (source is SftpLocation && target is SftpLocation)
            {
                stagingDir = parse.GetValue(Staging) ?? Directory.CreateTempSubdirectory("ferry-staging-").FullName;
                staging = Connectors.Local.LocalConnector.ForStaging(stagingDir);
            }

            var template = new TransferRequest(new TransferLocation(from, source.Path), new TransferLocation(to, target.Path),
                NewTransferId(), policy, staging);
            if (CopyMany.Applies(source))
            {
                return await CopyMany.RunAsync(template, source, target, new CopyMany.Settings(parse.GetValue(Retries), parse.GetValue(Transfers), parse.GetValue(Json), quiet),
                    cancellationToken);
            }

            var (result, request) = await RunWithRetriesAsync(template, source, target, parse.GetValue(Retries), quiet, cancellationToken);
            Report(result, request, parse.GetValue(Json), quiet);
            return ExitCodes.Ok;
        }
        catch (LocationException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (FerryException e)
        {
            return Fail(e.IsTransient ? ExitCodes.Transient : ExitCodes.Permanent, Explain(e, source, target));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCodes.Cancelled, "cancelled; nothing was delivered under the target name");
        }
        finally
        {
            // Never expected (the connector tests hold these paths in place), but if they fell back
            // the user should know why a copy costs more than it should.
            if (source is SftpLocation || target is SftpLocation)
            {
                foreach (var fallback in SftpConnector.Fallbacks)
                {
                    Console.Error.WriteLine($"ferry: warning: SFTP {fallback}");
                }
            }

            foreach (var c in new[] { from, to, staging })
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }

            if (stagingDir is not null && parse.GetValue(Staging) is null)
            {
                Directory.Delete(stagingDir, recursive: true);
            }
        }
    }

    /// <param name="target">Where the file goes, resolved against what is there (a directory receives the source's name); null: the template's target path as it is.</param>
    /// <remarks>
    /// With retries, the attempts take checkpoints: a retry continues the part file or multipart
    /// upload where the one before stopped (a 30 GB copy cut at 29 GB sends the last GB), provided
    /// the source is unchanged. After the last failure what they kept is removed, and the error
    /// names whatever could not be.
    /// </remarks>
    internal static async Task<(TransferResult, TransferRequest)> RunWithRetriesAsync(
        TransferRequest template, Location source, Location? target, int retries, bool quiet, CancellationToken cancellationToken)
    {
        var runner = new TransferRunner();
        var display = new ProgressDisplay(AnsiConsole.Console, quiet);
        TransferCheckpoint? saved = null;
        var hooks = retries == 0 ? null : new TransferHooks(
            Checkpointed: c => Volatile.Write(ref saved, c),
            Resuming: (kept, total, _) =>
            {
                if (!quiet)
                {
                    Console.Error.WriteLine($"ferry: continuing {RemotePath.FileName(template.Source.Path)} from byte {kept:N0} of {total:N0}");
                }

                return Task.CompletedTask;
            });
        TransferRequest? request = null;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Connecting happens inside the attempt, so an unreachable server is retried too.
                var targetPath = target is null ? template.Target.Path : await ResolveTargetPathAsync(source, target, template.Target.Connector, cancellationToken);
                request = template with { Target = template.Target with { Path = targetPath }, Hooks = hooks, Resume = Volatile.Read(ref saved), IsRetry = attempt > 0 };
                var current = request;
                // The runner looks at the source first and reports its size with the progress.
                var result = await display.RunAsync(RemotePath.FileName(current.Source.Path),
                    progress => runner.RunAsync(current with { Progress = progress }, cancellationToken));
                return (result, current with { Hooks = null, Resume = null });
            }
            catch (Exception e) when (hooks is not null && request is not null && !(e is FerryException { IsTransient: true } && attempt < retries)
                && !(attempt == 0 && Volatile.Read(ref saved) is null && e is FerryException { IsTransient: false }))
            {
                // The last attempt: nothing will continue what the attempts kept. (A first attempt
                // refused for good before writing anything - authentication, host key, a missing
                // source - left nothing, and a clean-up would only repeat its error.)
                var left = await TransferRunner.RemoveLeftoversAsync(request, Volatile.Read(ref saved));
                if (left is not null && e is FerryException f)
                {
                    throw new FerryException(f.Kind, f.Code, $"{f.Message} (the partial file was left behind: {left})", f);
                }

                throw;
            }
            catch (FerryException e) when (e.IsTransient && attempt < retries)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)) * (0.5 + Random.Shared.NextDouble()));
                if (!quiet)
                {
                    Console.Error.WriteLine($"ferry: {e.Message} [{e.Code}]; retrying in {delay.TotalSeconds:0.0} s ({attempt + 1}/{retries})");
                }

                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>Names a copy's part file and staged copy, so concurrent copies never collide.</summary>
    internal static string NewTransferId() => "copy-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A target ending in '/' or naming an existing directory receives the source's file name.</summary>
    private static async Task<string> ResolveTargetPathAsync(Location source, Location target, IConnector to, CancellationToken cancellationToken)
    {
        var name = RemotePath.FileName(source.Path);
        if (target.IsDirectoryHint || RemotePath.Normalize(target.Path).Length == 0)
        {
            return JoinName(target.Path, name);
        }

        if (target is not S3Location && await to.StatAsync(target.Path, cancellationToken) is { IsDirectory: true })
        {
            return JoinName(target.Path, name);
        }

        return target.Path;
    }

    private static string JoinName(string dir, string name)
    {
        var d = RemotePath.Normalize(dir);
        return d.Length == 0 ? name : d + "/" + name;
    }

    private static SideSettings Side(ParseResult parse, Option<string?> keyFile, Option<string?> hostKey, Option<string?> endpoint, string? password) => new()
    {
        KeyFile = parse.GetValue(keyFile) ?? parse.GetValue(KeyFile),
        HostKey = parse.GetValue(hostKey) ?? parse.GetValue(HostKey),
        EndpointUrl = parse.GetValue(endpoint) ?? parse.GetValue(EndpointUrl) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3"),
        Region = parse.GetValue(Region),
        Password = password,
        Sse = parse.GetValue(Sse),
        KmsKeyId = parse.GetValue(KmsKeyId),
        PartSizeMiB = parse.GetValue(PartSize),
        PartsInFlight = parse.GetValue(Parallel),
    };

    private static string? AskPassword(SftpLocation s)
    {
        if (Console.IsInputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return null;
        }

        return AnsiConsole.Prompt(new TextPrompt<string>($"Password for {Markup.Escape(s.User)}@{Markup.Escape(s.Host)}:").Secret());
    }

    internal static void Report(TransferResult r, TransferRequest request, bool json, bool quiet)
    {
        if (json)
        {
            Console.Out.WriteLine(CopyReport.Of(r, request).ToJson());
            return;
        }

        if (quiet)
        {
            return;
        }

        var verb = r.Skipped ? "Skipped (identical)" : "Copied";
        Console.Out.WriteLine($"{verb} {Units.Bytes(r.Bytes)} in {r.Elapsed.TotalSeconds:0.0} s ({Units.Rate(r.BytesPerSecond)}), {r.Flow} ({r.Strategy})");
        Console.Out.WriteLine($"  to     {request.Target.Describe()}");
        Console.Out.WriteLine($"  sha256 {r.Sha256 ?? "(not known: the store recorded none and nothing was streamed)"}");
        foreach (var note in r.Notes)
        {
            Console.Out.WriteLine($"  note   {note}");
        }
    }

    internal static string Explain(FerryException e, Location source, Location target)
    {
        var hint = e.Code switch
        {
            ErrorCodes.HostKeyNotTrusted => "\n  If that key is the one you expect, pass it with --host-key (or --src-host-key/--dst-host-key), or add it to ~/.ssh/known_hosts.",
            ErrorCodes.AuthenticationFailed => "\n  Check --key-file / FERRY_SFTP_PASSWORD for SFTP, or the AWS credentials for S3.",
            ErrorCodes.HostNotFound or ErrorCodes.ConnectionFailed => $"\n  Check the host and port in {source} / {target}.",
            ErrorCodes.NotFound when source is S3Location { IsDirectoryHint: false, Path.Length: > 0 } && !Glob.IsGlob(source.Path)
                                     && e.Message.Contains(source.Path, StringComparison.Ordinal) =>
                "\n  To copy every object under a prefix, end it with '/'.",
            ErrorCodes.InvalidPath when e.Message.Contains("is a directory", StringComparison.Ordinal) =>
                "\n  To copy every file under it, end the source with '/' (or name files with a glob: dir/*.csv, dir/**/*.xml).",
            _ => "",
        };
        return $"{e.Message} [{e.Code}]{hint}";
    }

    internal static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"ferry: {message}");
        return code;
    }
}

/// <summary>Process exit codes of the ferry command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Permanent = 1;
    public const int Usage = 2;
    public const int Transient = 3;
    public const int Cancelled = 130;
}
