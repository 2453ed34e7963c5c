using System.Buffers;
using Ferry.Core.Connectors;
using Ferry.Core.Errors;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// Reads a remote file to its end (or for a bounded length) with read requests answered by
/// callback (<see cref="SftpFileRequests"/>), several in flight, on a pooled connection that it
/// hands back when disposed. SSH.NET errors become <see cref="FerryException"/>s.
/// </summary>
/// <remarks>
/// <para>
/// Why not SSH.NET's <c>SftpFileStream</c>: it opens on a blocking call (open, then fstat), reads
/// through <c>RequestReadAsync</c> (three thread-pool wait registrations and a timer per request)
/// and closes on another blocking call; for a 1 KB file that is most of the per-file cost.
/// </para>
/// <para>
/// Requests go out in offset order, <see cref="_window"/> of them in flight (2 at first, so a small
/// file's end is seen in one round trip; doubling up to <see cref="MaxWindow"/> while full answers
/// come, and held while the rest of a short answer is asked for, which may be the end of the file),
/// and are consumed in the same order. A server may answer a read with fewer bytes than asked
/// before the end of the file (OpenSSH does not, the protocol allows it): the rest of that range is
/// asked for again and consumed before anything after it. The end of the file is the first answer
/// that is an EOF status or empty; the requests beyond it are answered and ignored (their buffers
/// go back to the pool). A caller that knows how long the file should be
/// (<see cref="Core.Connectors.IConnector.OpenReadToEndAsync"/>) has the reads cut to end there, and
/// none goes past the one at that end until it has answered: a 1 KB file is two reads sent
/// together, and a long one sends one read past its end instead of up to a window of them. The
/// close goes after them on the same channel, so by the time it is answered they all are, and the
/// connection is clean for its next user. A stream reading to the end with a way to look at its
/// file again (<see cref="ILooksAgainAtEnd"/>) sends the close the moment the end is read, and the
/// stat right behind it: both are answered while the caller is still writing what it read.
/// </para>
/// <para>
/// Each read asks for <see cref="SftpEndpointOptions.ReadLength"/> bytes (255 KiB, what OpenSSH
/// answers in one go; SSH.NET asks for 64 KiB, its own channel packet size, but its SFTP session
/// reassembles an answer that spans several packets). Sixteen of them keep 4 MiB in flight, enough
/// for a distant server (at 64 KiB, 1 MiB would cap a 50 ms round trip at about 20 MB/s); on
/// loopback a 1 GiB download took 0-20 % less CPU than with 64 KiB (the spread of three A/B runs).
/// A server that answers a read
/// short before the end of the file is taken to cap its reads there, and the rest of the file is
/// asked for in pieces of that size (never under <see cref="MinReadLength"/>, which every server must
/// accept), so a capped server costs one extra request per window, not one per read.
/// </para>
/// </remarks>
internal sealed class SftpCallbackReadStream : SftpLeasedReadStream, ILooksAgainAtEnd
{
    private const int MaxWindow = 16;

    /// <summary>The smallest read length: SFTP servers must take packets of at least 34,000 bytes.</summary>
    private const int MinReadLength = 32 * 1024;

    private readonly object _session;
    private readonly byte[] _handle;
    private readonly TimeSpan _timeout;
    private int _chunk;
    private readonly long _end;
    private readonly Queue<Request> _inFlight = new();
    private Request? _rest; // the rest of a range answered short: consumed before _inFlight
    private int _shortAnswer; // how many bytes that short answer held
    private long _next;
    private long _expectedEnd = long.MaxValue; // where the file should end; MaxValue once unknown or disproved
    private long _position;
    private int _window = 2;
    private bool _ended;
    private SftpChunk _current;
    private int _used;
    private Func<Task<RemoteEntry?>>? _lookAgain;
    private Task<bool>? _closedAtEnd;

    private SftpCallbackReadStream(object session, byte[] handle, SftpLease lease, string where, TimeSpan timeout, int chunk, long offset, long? length)
        : base(lease, where)
    {
        _session = session;
        _handle = handle;
        _timeout = timeout;
        _chunk = chunk;
        _next = _position = offset;
        _end = length is { } l ? offset + l : long.MaxValue;
    }

    public Task<RemoteEntry?>? AtEnd { get; private set; }

    /// <summary>Bytes asked for per read from now on: the configured length, or less once the server answered less.</summary>
    internal int ReadLength => _chunk;

    /// <summary>Opens <paramref name="fullPath"/> on the leased connection; the stream owns the lease from then on.</summary>
    /// <param name="expectedEnd">Where the caller expects the file to end (reading to the end only): the reads are cut to end there, and none goes past the one that confirms it.</param>
    /// <param name="lookAgain">A stat of the file on this connection, sent with the close once the end is read (<see cref="AtEnd"/>; reading to the end only).</param>
    public static async Task<SftpCallbackReadStream> OpenAsync(
        SftpLease lease, string fullPath, long offset, long? length, long? expectedEnd, string where, int readLength, CancellationToken cancellationToken,
        Func<Task<RemoteEntry?>>? lookAgain = null)
    {
        var client = lease.Client;
        var session = SftpSessionAccess.Session(client);
        SftpSessionAccess.ThrowIfFailed(session);
        var handle = await SftpFileRequests.OpenForReadAsync(session, fullPath, client.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return new SftpCallbackReadStream(session, handle, lease, where, client.OperationTimeout, Math.Max(MinReadLength, readLength), offset, length)
        {
            _expectedEnd = length is null && expectedEnd >= offset ? expectedEnd.Value : long.MaxValue,
            _lookAgain = length is null ? lookAgain : null,
        };
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, _chunk));
        try
        {
            var n = ReadAsync(rented.AsMemory(0, Math.Min(buffer.Length, rented.Length)), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        try
        {
            if (_used == _current.Count && !await NextChunkAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            var n = Math.Min(buffer.Length, _current.Count - _used);
            _current.Buffer.AsSpan(_used, n).CopyTo(buffer.Span);
            _used += n;
            return n;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Cancelled();
            throw;
        }
        catch (Exception ex)
        {
            throw Fail(ex);
        }
    }

    /// <summary>The next answer with data, in offset order; false at the end.</summary>
    private async Task<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        _current.Return();
        _current = default;
        _used = 0;
        while (!_ended && _position < _end)
        {
            if (_rest is null)
            {
                // A short answer may have been the end of the file: no more reads go out until its
                // rest is answered (for a 1 KB file, three reads past the end saved, of ten requests).
                Ask();
            }

            var afterShortAnswer = _rest is not null;
            var request = _rest ?? _inFlight.Dequeue();
            _rest = null;
            var chunk = await request.Answer.WaitAsync(_session, _timeout, cancellationToken).ConfigureAwait(false);
            if (chunk.Count == 0)
            {
                End();
                CloseAndLookAgain();
                return false;
            }

            if (chunk.Count > request.Length)
            {
                chunk.Return();
                throw new InvalidDataException($"the server answered a read of {request.Length} bytes with {chunk.Count}");
            }

            if (afterShortAnswer)
            {
                // The short answer before this one was not the end of the file: the server caps its reads there.
                _chunk = Math.Max(MinReadLength, Math.Min(_chunk, _shortAnswer));
            }

            if (chunk.Count < request.Length)
            {
                _rest = Send(request.Offset + chunk.Count, request.Length - chunk.Count);
                _shortAnswer = chunk.Count;
            }

            if (request.Offset >= _expectedEnd)
            {
                _expectedEnd = long.MaxValue; // the file goes on past where it was expected to end
            }

            _position = request.Offset + chunk.Count;
            _current = chunk;
            if (_rest is null)
            {
                _window = Math.Min(MaxWindow, _window * 2);
            }

            return true;
        }

        End();
        return false;
    }

    /// <summary>Keeps <see cref="_window"/> requests in flight, none past the end asked for.</summary>
    private void Ask()
    {
        // Up to the read at the expected end, which should answer "end of file"; none past it until it has.
        while (_inFlight.Count < _window && _next < _end && _next <= _expectedEnd)
        {
            var length = (int)Math.Min(Math.Min(_chunk, _end - _next), _next < _expectedEnd ? _expectedEnd - _next : long.MaxValue);
            _inFlight.Enqueue(Send(_next, length));
            _next += length;
        }
    }

    private Request Send(long offset, int length)
    {
        ReadsSent++;
        return new(offset, length, SftpFileRequests.Read(_session, _handle, offset, length));
    }

    /// <summary>Read requests sent so far (for tests: what a small file costs).</summary>
    internal int ReadsSent { get; private set; }

    /// <summary>No more reads: those still in flight (and a short answer's rest) are answered and ignored.</summary>
    private void End()
    {
        _ended = true;
        if (_rest is { } rest)
        {
            _rest = null;
            Abandon(rest);
        }

        while (_inFlight.TryDequeue(out var abandoned))
        {
            Abandon(abandoned);
        }

        static void Abandon(Request request) => _ = request.Answer.Task.ContinueWith(static t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                t.Result.Return();
            }
            else
            {
                _ = t.Exception; // observed: an abandoned read's error changes nothing
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>At the end of the file: the close and the look at the file, sent together, answered while the caller writes.</summary>
    private void CloseAndLookAgain()
    {
        if (_lookAgain is not { } look || _closedAtEnd is not null)
        {
            return;
        }

        _closedAtEnd = SftpFileRequests.CloseAsync(_session, _handle, _timeout, CancellationToken.None);
        AtEnd = LookAsync(look);
    }

    private async Task<RemoteEntry?> LookAsync(Func<Task<RemoteEntry?>> look)
    {
        try
        {
            return await look().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw Fail(ex);
        }
    }

    /// <summary>Abandons the reads still in flight (their buffers go back to the pool when answered) and returns the current one.</summary>
    protected override void Release()
    {
        End();
        _current.Return();
        _current = default;
        // On a connection dropped since, nobody may wait for these: their errors are observed here.
        Observe(_closedAtEnd);
        Observe(AtEnd);

        static void Observe(Task? task) => task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Closes the handle: the close goes after every read still in flight, so they are all answered
    /// when it is. One sent at the end of the file is waited for instead, and the look sent with it,
    /// so the connection goes back to the pool with nothing outstanding.
    /// </summary>
    protected override async ValueTask CloseHandleAsync()
    {
        if (_closedAtEnd is { } closed)
        {
            await closed.ConfigureAwait(false);
            await ((Task)AtEnd!).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // its answer or error is the caller's
            return;
        }

        await SftpFileRequests.CloseAsync(_session, _handle, _timeout, CancellationToken.None).ConfigureAwait(false);
    }

    private sealed record Request(long Offset, int Length, SftpAnswer<SftpChunk> Answer);
}
