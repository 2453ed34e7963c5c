using System.Diagnostics;
using System.Reflection;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// The answer to one SFTP request sent through SSH.NET's internal session with callbacks
/// (<see cref="SftpSessionAccess.SendRequest"/>): SSH.NET's receive thread completes it, and the
/// caller awaits it without any thread blocked for the round trip.
/// </summary>
/// <remarks>
/// <para>
/// Why: SSH.NET's blocking calls park a thread in a WaitAny until the receive thread signals it
/// (here an SFTP call thread, <see cref="SftpBlockingCalls"/>, so handing the call over and back
/// costs two more thread switches), and its *Async calls register three thread-pool waits and a
/// timer per request. Measured with `bench/ab-api-create` (one stat per request): 13 context
/// switches per request fell to 7, the server's CPU per request by 16 %, see the README.
/// </para>
/// <para>
/// What SSH.NET's wait also watches — the session's error, the connection closing, the SFTP
/// channel closing — is not an event Ferry can subscribe to for free, so the wait looks at those
/// signals every <see cref="CheckEvery"/> while the answer is outstanding
/// (<see cref="SftpSessionAccess.Failure"/>): a request on a connection that died fails within that
/// time instead of its operation timeout. A request that is answered in time costs one timer.
/// </para>
/// <para>
/// The callbacks are SSH.NET's own delegate types over internal response types, so they are
/// bound at run time to methods taking <see cref="object"/> (<see cref="Callback"/>); they run
/// on SSH.NET's receive thread and only complete the task (continuations run on the thread pool).
/// </para>
/// </remarks>
internal sealed class SftpAnswer<T>
{
    /// <summary>How often a request still waiting for its answer checks that its session is alive.</summary>
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Complete(T value) => _answer.TrySetResult(value);

    public void Fail(Exception error) => _answer.TrySetException(error);

    /// <summary>Completes with what <paramref name="answer"/> returns, or fails with what it throws; never throws itself.</summary>
    public void Run(Func<T> answer)
    {
        try
        {
            Complete(answer());
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>The answer, for a caller that no longer waits for it but must release what it holds.</summary>
    public Task<T> Task => _answer.Task;

    /// <summary>
    /// A delegate of SSH.NET's type <paramref name="actionType"/> (an <c>Action&lt;SomeResponse&gt;</c>)
    /// that calls <paramref name="method"/>, an instance method of <paramref name="target"/> taking one object.
    /// </summary>
    public static Delegate Callback(Type actionType, object target, MethodInfo method) => Delegate.CreateDelegate(actionType, target, method);

    /// <summary>
    /// The answer, or SSH.NET's exception for a failed session, or <see cref="SshOperationTimeoutException"/>
    /// after <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: none).
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled: the request may still be answered, so drop the connection.</exception>
    public async Task<T> WaitAsync(object session, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (_answer.Task.IsCompleted)
            {
                return await _answer.Task.ConfigureAwait(false); // also when it came just as a wait ran out
            }

            var wait = CheckEvery;
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                var left = timeout - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    throw new SshOperationTimeoutException("Operation has timed out.");
                }

                wait = left < wait ? left : wait;
            }

            try
            {
                return await _answer.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                if (!_answer.Task.IsCompleted)
                {
                    SftpSessionAccess.ThrowIfFailed(session);
                }
            }
        }
    }
}
