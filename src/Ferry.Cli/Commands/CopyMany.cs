using Ferry.Cli.Locations;
using Ferry.Cli.Output;
using Ferry.Core.Errors;
using Ferry.Core.Paths;
using Ferry.Engine.Flows;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry copy SRC/ DST/</c> and <c>ferry copy 'SRC/*.csv' DST/</c>: every file under a
/// directory or prefix (recursively), or matching a glob, goes under DST with its path relative
/// to SRC, one after another, each with its own retries, as transfer requests expand on the
/// server. A file that fails is reported and the rest go on; a failure that would fail every
/// file (authentication, host key, an unreachable server once retries are spent) stops the run.
/// </summary>
internal static class CopyMany
{
    /// <summary>More files than this in one command is a mistake more often than not; narrow it with a glob.</summary>
    public const int MaxFiles = 100_000;

    /// <summary>SRC names many files: it ends in '/' (a local directory counts), or it is a glob.</summary>
    public static bool Applies(Location source) => source.IsDirectoryHint || Glob.IsGlob(source.Path);

    public static async Task<int> RunAsync(
        TransferRequest template, Location source, Location target, int retries, bool json, bool quiet, CancellationToken cancellationToken)
    {
        IReadOnlyList<Core.Jobs.FileToTransfer> files;
        try
        {
            var asked = Glob.IsGlob(source.Path) ? source.Path : source.Path.TrimEnd('/') + "/";
            files = await SourceExpander.ExpandAsync(template.Source.Connector, asked, target.Path.TrimEnd('/') + "/", MaxFiles, cancellationToken);
        }
        catch (ExpansionException e)
        {
            return CopyCommand.Fail(ExitCodes.Usage, $"{source}: {e.Message}");
        }

        var (copied, skipped, bytes) = (0, 0, 0L);
        var failures = new List<FerryException>();
        var started = TimeProvider.System.GetTimestamp();
        foreach (var file in files)
        {
            var request = template with
            {
                Source = template.Source with { Path = file.SourcePath },
                Target = template.Target with { Path = file.TargetPath },
                TransferId = CopyCommand.NewTransferId(),
            };
            try
            {
                var (result, done) = await CopyCommand.RunWithRetriesAsync(request, source.WithPath(file.SourcePath), target: null, retries, quiet, cancellationToken);
                CopyCommand.Report(result, done, json, quiet);
                (copied, skipped, bytes) = result.Skipped ? (copied, skipped + 1, bytes) : (copied + 1, skipped, bytes + result.Bytes);
            }
            catch (FerryException e)
            {
                failures.Add(e);
                Console.Error.WriteLine($"ferry: {file.SourcePath}: {CopyCommand.Explain(e, source, target)}");
                if (StopsEverything(e))
                {
                    Console.Error.WriteLine($"ferry: stopped after {copied + skipped + failures.Count} of {files.Count} files: the next would fail the same way");
                    break;
                }
            }
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        if (!quiet || failures.Count > 0)
        {
            var summary = $"{files.Count} files: {copied} copied ({Units.Bytes(bytes)} in {elapsed.TotalSeconds:0.0} s), {skipped} skipped as identical, {failures.Count} failed";
            (failures.Count > 0 ? Console.Error : Console.Out).WriteLine(failures.Count > 0 ? "ferry: " + summary : summary);
        }

        return failures.Count == 0 ? ExitCodes.Ok : failures.TrueForAll(f => f.IsTransient) ? ExitCodes.Transient : ExitCodes.Permanent;
    }

    /// <summary>Errors about the endpoint rather than the file: every other file would fail the same way.</summary>
    private static bool StopsEverything(FerryException e) => e.Code is ErrorCodes.AuthenticationFailed or ErrorCodes.HostKeyMismatch or ErrorCodes.HostKeyNotTrusted
        or ErrorCodes.HostNotFound or ErrorCodes.ConnectionFailed or ErrorCodes.InvalidConfiguration;
}
