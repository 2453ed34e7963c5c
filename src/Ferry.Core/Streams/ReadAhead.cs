using System.Runtime.ExceptionServices;

namespace Ferry.Core.Streams;

/// <summary>
/// Reads a source ahead of a synchronous consumer into a fixed ring of the consumer's buffers, so
/// reading (and what the source does per byte: receiving HTTP, hashing) overlaps with what the
/// consumer does with the previous buffers (encrypting and sending them). Each buffer is filled
/// whole unless the source ends. The consumer takes filled buffers in order (<see cref="Take"/>,
/// blocking) and hands each back (<see cref="Release"/>) once it no longer needs its bytes; the
/// reader never holds more than the ring. The source is read on the thread pool, through its
/// asynchronous reads.
/// </summary>
public sealed class ReadAhead
{
    private readonly Stream _source;
    private readonly IReadOnlyList<ArraySegment<byte>> _buffers;
    private readonly SemaphoreSlim _free;
    private readonly CancellationTokenSource _stop;
    private readonly Queue<Filled> _filled = new();
    private readonly object _gate = new(); // Monitor: the consumer waits on it
    private readonly Task _reading;
    private bool _ended;
    private ExceptionDispatchInfo? _error;

    /// <summary>A filled buffer: its index in the ring and how many bytes it holds (0: the source has ended).</summary>
    public readonly record struct Filled(int Index, int Length);

    /// <summary>Starts reading <paramref name="source"/> into <paramref name="buffers"/>; <paramref name="cancellationToken"/> stops it with an error.</summary>
    public ReadAhead(Stream source, IReadOnlyList<ArraySegment<byte>> buffers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(buffers.Count);
        _source = source;
        _buffers = buffers;
        _free = new SemaphoreSlim(buffers.Count);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>
    /// The next filled buffer, waiting for it if need be; <see cref="Filled.Length"/> 0 once the
    /// source has ended. Rethrows what the source threw, after the buffers filled before it.
    /// </summary>
    public Filled Take()
    {
        lock (_gate)
        {
            while (_filled.Count == 0 && !_ended && _error is null)
            {
                Monitor.Wait(_gate);
            }

            if (_filled.Count > 0)
            {
                return _filled.Dequeue();
            }

            _error?.Throw();
            return new Filled(-1, 0);
        }
    }

    /// <summary>The oldest buffer taken may be filled again.</summary>
    public void Release() => _free.Release();

    /// <summary>
    /// Stops reading and waits up to <paramref name="wait"/> for the reader to let go of the
    /// buffers; false if it still holds one (a source read that ignores cancellation): then the
    /// buffers must not be reused.
    /// </summary>
    public bool Stop(TimeSpan wait)
    {
        _stop.Cancel();
        if (!_reading.Wait(wait))
        {
            return false;
        }

        _stop.Dispose();
        _free.Dispose();
        return true;
    }

    private async Task ReadAsync()
    {
        try
        {
            for (var i = 0; ; i = (i + 1) % _buffers.Count)
            {
                await _free.WaitAsync(_stop.Token).ConfigureAwait(false);
                var buffer = _buffers[i];
                var length = await FillAsync(buffer).ConfigureAwait(false);
                lock (_gate)
                {
                    if (length > 0)
                    {
                        _filled.Enqueue(new Filled(i, length));
                    }

                    // Filled whole buffers only; a short one means the source said it has ended.
                    _ended = length < buffer.Count;
                    Monitor.Pulse(_gate);
                }

                if (length < buffer.Count)
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _error = ExceptionDispatchInfo.Capture(ex);
                Monitor.Pulse(_gate);
            }
        }
    }

    private async Task<int> FillAsync(ArraySegment<byte> buffer)
    {
        var total = 0;
        int read;
        while (total < buffer.Count && (read = await _source.ReadAsync(buffer.AsMemory(total), _stop.Token).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return total;
    }
}
