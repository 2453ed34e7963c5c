using Ferry.Core.Transfers;
using Spectre.Console;

namespace Ferry.Cli.Output;

/// <summary>
/// Shows transfer progress: a live bar (bytes, rate, ETA) on a terminal, plain lines every few
/// seconds when output goes to a file or pipe, nothing with --quiet.
/// </summary>
internal sealed class ProgressDisplay
{
    private readonly IAnsiConsole _console;
    private readonly bool _interactive;
    private readonly bool _quiet;
    private readonly TimeSpan _plainInterval;
    private long _lastPlainTicks;

    public ProgressDisplay(IAnsiConsole console, bool quiet, TimeSpan? plainInterval = null)
    {
        _console = console;
        _quiet = quiet;
        _interactive = console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        _plainInterval = plainInterval ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>Runs <paramref name="work"/>, feeding it a progress callback that draws.</summary>
    public async Task<T> RunAsync<T>(string title, Func<Action<TransferProgress>, Task<T>> work)
    {
        if (_quiet)
        {
            return await work(_ => { });
        }

        if (!_interactive)
        {
            _lastPlainTicks = Environment.TickCount64;
            return await work(PrintPlain);
        }

        T result = default!;
        await _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                // The size arrives with the first report (the runner stats the source once).
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                result = await work(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Description = Markup.Escape($"{title} [{p.Stage}]");
                    task.Value = p.Bytes;
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    private void PrintPlain(TransferProgress p)
    {
        var now = Environment.TickCount64;
        if (now - _lastPlainTicks < _plainInterval.TotalMilliseconds)
        {
            return;
        }

        _lastPlainTicks = now;
        var percent = p.TotalBytes > 0 ? 100.0 * p.Bytes / p.TotalBytes : 100;
        var eta = p.EstimatedRemaining is { } e ? " ETA " + Units.Duration(e) : "";
        Console.Out.WriteLine(FormattableString.Invariant(
            $"{p.Stage}: {Units.Bytes(p.Bytes)} / {Units.Bytes(p.TotalBytes)} ({percent:0.0}%) {Units.Rate(p.BytesPerSecond)}{eta}"));
    }
}
