using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// The writes of one file (<see cref="SftpCallbackWriter"/>): how many are unanswered, the outcome
/// once all are answered, and how many may be unanswered at once.
/// </summary>
/// <remarks>
/// Left to itself the sender runs as far ahead as the SSH channel's window lets it, and SSH.NET's
/// channel then sleeps whenever the window is closed, woken by the receive thread at each window
/// adjustment: OpenSSH's sshd reopens its window in small steps, so a 1 GiB upload put the sender to
/// sleep about 4,000 times, each a futex wait and a wake-up costing two thread switches (the dearest
/// thing on the VMs Ferry was measured on). Held to one write fewer than the window takes, the
/// sender never meets a closed window; when it reaches that limit it waits here until half of its
/// writes are answered, and so sleeps once per half window instead of once per adjustment.
/// </remarks>
internal sealed class SftpWritesInFlight(Action<long>? acknowledged, int limit)
{
    private readonly object _gate = new(); // Monitor: the sender waits on it
    private int _unanswered;
    private long _end = -1;
    private bool _senderWaits;

    /// <summary>
    /// Writes of <paramref name="writeLength"/> that may be unanswered on a channel whose window is
    /// <paramref name="window"/> bytes as the file starts: one fewer than it holds (7 of 255 KiB in
    /// OpenSSH's 2 MiB), at least 2, at most 63; unlimited when the window could not be read (null),
    /// leaving the window alone to bound them.
    /// </summary>
    public static int LimitFor(uint? window, int writeLength) =>
        window is { } w ? (int)Math.Clamp(w / (uint)writeLength, 3, 64) - 1 : int.MaxValue;

    public SftpAnswer<long> Result { get; } = new();

    /// <summary>
    /// Counts a write about to be sent, first waiting, if the limit is reached, until half the limit
    /// is unanswered. Throws what <paramref name="sessionFailure"/> reports (the session's error,
    /// <see cref="SftpSessionAccess.Failure"/>), <see cref="OperationCanceledException"/>, or
    /// <see cref="SshOperationTimeoutException"/> when no answer came within <paramref name="timeout"/>,
    /// each looked at every <see cref="SftpAnswer{T}.CheckEvery"/> while waiting.
    /// </summary>
    public void Sending(Func<Exception?> sessionFailure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_unanswered >= limit)
            {
                WaitForHalf(sessionFailure, timeout, cancellationToken);
            }

            _unanswered++;
        }
    }

    // Under _gate.
    private void WaitForHalf(Func<Exception?> sessionFailure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var resumeAt = limit / 2;
        var lastAnswer = Stopwatch.GetTimestamp();
        var seen = _unanswered;
        _senderWaits = true;
        try
        {
            while (_unanswered > resumeAt && !Result.Task.IsCompleted)
            {
                if (Monitor.Wait(_gate, SftpAnswer<long>.CheckEvery))
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (sessionFailure() is { } failure)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                if (_unanswered < seen)
                {
                    (seen, lastAnswer) = (_unanswered, Stopwatch.GetTimestamp());
                }
                else if (timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(lastAnswer) >= timeout)
                {
                    throw new SshOperationTimeoutException("Operation has timed out.");
                }
            }
        }
        finally
        {
            _senderWaits = false;
        }
    }

    /// <summary>Every write is sent; <paramref name="end"/> is the offset after the last.</summary>
    public void AllSent(long end)
    {
        lock (_gate)
        {
            _end = end;
            if (_unanswered == 0)
            {
                Result.Complete(end);
            }
        }
    }

    /// <summary>
    /// On SSH.NET's receive thread: answers arrive in the order the writes went out, so each end
    /// acknowledged means every byte before it is written - until a write is refused.
    /// </summary>
    public void Answered(long end, Exception? error)
    {
        if (error is not null)
        {
            Fail(error);
            return;
        }

        // After a refusal the file has a hole where that write went: a later write the server took
        // must not be reported, or a checkpoint past the hole would let a resume skip it.
        if (!Result.Task.IsFaulted)
        {
            acknowledged?.Invoke(end);
        }

        lock (_gate)
        {
            if (--_unanswered == 0 && _end >= 0)
            {
                Result.Complete(_end);
            }

            if (_senderWaits && _unanswered <= limit / 2)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Fails the file's writes and wakes a sender waiting for answers.</summary>
    public void Fail(Exception error)
    {
        Result.Fail(error);
        lock (_gate)
        {
            Monitor.Pulse(_gate);
        }
    }
}
