namespace Ferry.Core.Transfers;

/// <summary>
/// Counts bytes as they move and calls back at most every <c>interval</c> with a rate measured
/// over the last few seconds (a whole-transfer average hides stalls). Thread-safe: parallel
/// part uploads may report at once.
/// </summary>
public sealed class ProgressMeter
{
    private readonly Action<TransferProgress>? _callback;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly long _total;
    private readonly Lock _lock = new();
    private readonly Queue<(long Ticks, long Bytes)> _window = new();
    private long _bytes;
    private long _lastReportTicks;
    private string _stage;

    public ProgressMeter(long totalBytes, Action<TransferProgress>? callback, TimeProvider? time = null, TimeSpan? interval = null, string stage = "transfer")
    {
        _total = totalBytes;
        _callback = callback;
        _time = time ?? TimeProvider.System;
        _interval = interval ?? TimeSpan.FromMilliseconds(250);
        _stage = stage;
        _lastReportTicks = _time.GetTimestamp();
        _window.Enqueue((_lastReportTicks, 0));
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Starts a new stage (e.g. the second leg through staging), counting from zero.</summary>
    public void BeginStage(string stage)
    {
        lock (_lock)
        {
            _stage = stage;
            _bytes = 0;
            _window.Clear();
            _window.Enqueue((_time.GetTimestamp(), 0));
        }
    }

    /// <summary>An interrupted transfer continues: <paramref name="bytes"/> were moved by an earlier attempt (they count toward the total, not the rate).</summary>
    public void ResumeAt(long bytes)
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _bytes, bytes);
            _window.Clear();
            _window.Enqueue((_time.GetTimestamp(), bytes));
        }
    }

    public void Add(long bytes)
    {
        var total = Interlocked.Add(ref _bytes, bytes);
        if (_callback is null)
        {
            return;
        }

        TransferProgress? report = null;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_lastReportTicks, now) >= _interval)
            {
                _lastReportTicks = now;
                report = Snapshot(now, total);
            }
        }

        if (report is { } r)
        {
            _callback(r);
        }
    }

    /// <summary>Reports the final figures regardless of the interval.</summary>
    public void Complete()
    {
        if (_callback is null)
        {
            return;
        }

        TransferProgress report;
        lock (_lock)
        {
            report = Snapshot(_time.GetTimestamp(), Bytes);
        }

        _callback(report);
    }

    private TransferProgress Snapshot(long now, long total)
    {
        _window.Enqueue((now, total));
        while (_window.Count > 2 && _time.GetElapsedTime(_window.Peek().Ticks, now) > TimeSpan.FromSeconds(5))
        {
            _window.Dequeue();
        }

        var (startTicks, startBytes) = _window.Peek();
        var seconds = _time.GetElapsedTime(startTicks, now).TotalSeconds;
        var rate = seconds > 0 ? (total - startBytes) / seconds : 0;
        return new TransferProgress(total, _total, rate, _stage);
    }
}
