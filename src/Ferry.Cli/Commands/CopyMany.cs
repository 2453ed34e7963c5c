using Ferry.Cli.Locations;
using Ferry.Cli.Output;
using Ferry.Core.Errors;
using Ferry.Core.Jobs;
using Ferry.Core.Paths;
using Ferry.Core.Transfers;
using Ferry.Engine.Flows;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry copy SRC/ DST/</c> and <c>ferry copy 'SRC/*.csv' DST/</c>: every file under a
/// directory or prefix (recursively), or matching a glob, goes under DST with its path relative
/// to SRC, as transfer requests expand on the server; <see cref="Settings.Transfers"/> files at
/// once over the endpoints' pooled connections, each with its own retries. A file that fails is
/// reported and the rest go on; a failure that would fail every file (authentication, host key,
/// an unreachable server once retries are spent) starts no more.
/// </summary>
internal static class CopyMany
{
    /// <summary>More files than this in one command is a mistake more often than not; narrow it with a glob.</summary>
    public const int MaxFiles = 100_000;

    public sealed record Settings(int Retries, int Transfers, bool Json, bool Quiet);

    /// <summary>SRC names many files: it ends in '/' (a local directory counts), or it is a glob.</summary>
    public static bool Applies(Location source) => source.IsDirectoryHint || Glob.IsGlob(source.Path);

    public static async Task<int> RunAsync(TransferRequest template, Location source, Location target, Settings settings, CancellationToken cancellationToken)
    {
        IReadOnlyList<FileToTransfer> files;
        try
        {
            var asked = Glob.IsGlob(source.Path) ? source.Path : source.Path.TrimEnd('/') + "/";
            files = await SourceExpander.ExpandAsync(template.Source.Connector, asked, target.Path.TrimEnd('/') + "/", MaxFiles, cancellationToken);
        }
        catch (ExpansionException e)
        {
            return CopyCommand.Fail(ExitCodes.Usage, $"{source}: {e.Message}");
        }

        var tally = new Tally();
        var started = TimeProvider.System.GetTimestamp();
        var options = new ParallelOptions { MaxDegreeOfParallelism = settings.Transfers, CancellationToken = cancellationToken };
        var copying = Parallel.ForEachAsync(files, options, async (file, ct) =>
        {
            if (tally.Stopped)
            {
                return;
            }

            var request = template with
            {
                Source = template.Source with { Path = file.SourcePath },
                Target = template.Target with { Path = file.TargetPath },
                TransferId = CopyCommand.NewTransferId(),
            };
            try
            {
                // One live progress bar at a time: with several files at once each reports when done.
                var (result, done) = await CopyCommand.RunWithRetriesAsync(
                    request, source.WithPath(file.SourcePath), target: null, settings.Retries, settings.Quiet || settings.Transfers > 1, ct);
                tally.Done(result, done, settings);
            }
            catch (FerryException e)
            {
                tally.Failed(file, e, CopyCommand.Explain(e, source, target));
            }
        });
        try
        {
            await copying;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            tally.Finish(files.Count, TimeProvider.System.GetElapsedTime(started), settings with { Quiet = false });
            return CopyCommand.Fail(ExitCodes.Cancelled, "cancelled; the files counted above were delivered, and none was left half-written under its name");
        }

        return tally.Finish(files.Count, TimeProvider.System.GetElapsedTime(started), settings);
    }

    /// <summary>Errors about the endpoint rather than the file: every other file would fail the same way.</summary>
    private static bool StopsEverything(FerryException e) => e.Code is ErrorCodes.AuthenticationFailed or ErrorCodes.HostKeyMismatch or ErrorCodes.HostKeyNotTrusted
        or ErrorCodes.HostNotFound or ErrorCodes.ConnectionFailed or ErrorCodes.InvalidConfiguration;

    /// <summary>Counts and output, from whichever transfer finishes; one line at a time.</summary>
    private sealed class Tally
    {
        private readonly Lock _gate = new();
        private readonly List<FerryException> _failures = [];
        private int _copied;
        private int _skipped;
        private long _bytes;

        public bool Stopped { get; private set; }

        public void Done(TransferResult result, TransferRequest request, Settings settings)
        {
            lock (_gate)
            {
                (_copied, _skipped, _bytes) = result.Skipped ? (_copied, _skipped + 1, _bytes) : (_copied + 1, _skipped, _bytes + result.Bytes);
                if (settings.Json)
                {
                    CopyCommand.Report(result, request, json: true, quiet: true);
                }
                else if (!settings.Quiet)
                {
                    Console.Out.WriteLine($"{(result.Skipped ? "Skipped" : "Copied ")} {Units.Bytes(result.Bytes),10}  {request.Source.Describe()} -> {request.Target.Describe()}");
                }
            }
        }

        public void Failed(FileToTransfer file, FerryException error, string explained)
        {
            lock (_gate)
            {
                _failures.Add(error);
                Console.Error.WriteLine($"ferry: {file.SourcePath}: {explained}");
                if (!Stopped && StopsEverything(error))
                {
                    Stopped = true;
                    Console.Error.WriteLine("ferry: starting no more files: the next would fail the same way");
                }
            }
        }

        /// <summary>Prints the summary; returns the exit code: 0 only if every file made it.</summary>
        public int Finish(int total, TimeSpan elapsed, Settings settings)
        {
            lock (_gate)
            {
                var summary = $"{total} files: {_copied} copied ({Units.Bytes(_bytes)} in {elapsed.TotalSeconds:0.0} s), {_skipped} skipped as identical, "
                    + $"{_failures.Count} failed" + (Stopped ? $", {total - _copied - _skipped - _failures.Count} not started" : "");
                if (_failures.Count > 0)
                {
                    Console.Error.WriteLine("ferry: " + summary);
                }
                else if (!settings.Quiet)
                {
                    Console.Out.WriteLine(summary);
                }

                return _failures.Count == 0 ? ExitCodes.Ok : _failures.TrueForAll(f => f.IsTransient) ? ExitCodes.Transient : ExitCodes.Permanent;
            }
        }
    }
}
