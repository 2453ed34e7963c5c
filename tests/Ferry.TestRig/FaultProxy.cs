using System.Net;
using System.Net.Sockets;

namespace Ferry.TestRig;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real server, for network faults this kernel cannot
/// make (no netem): a bandwidth cap, and cutting every connection once a number of bytes has
/// passed - what a partner's server restarting mid-transfer looks like to a client.
/// </summary>
public sealed partial class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private long _forwarded;
    private long _cutAt = long.MaxValue;
    private DateTime _refuseUntil = DateTime.MinValue;
    private volatile bool _down;

    public FaultProxy(string host, int port, long bytesPerSecond = 0)
    {
        _target = new IPEndPoint(IPAddress.Parse(host), port);
        BytesPerSecond = bytesPerSecond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>0: unlimited. Applies to each direction of each connection.</summary>
    public long BytesPerSecond { get; set; }

    /// <summary>Connections cut so far.</summary>
    public int Cuts { get; private set; }

    /// <summary>Bytes passed so far, both directions of every connection.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Closes every connection (RST) and refuses new ones until <see cref="ComeBack"/>: a server that is down.</summary>
    public void GoDown()
    {
        _down = true;
        Cut();
    }

    /// <summary>Accepts connections again after <see cref="GoDown"/>.</summary>
    public void ComeBack() => _down = false;

    /// <summary>Once <paramref name="bytes"/> more have passed, closes every connection and refuses new ones for <paramref name="downtime"/>.</summary>
    public void CutAfter(long bytes, TimeSpan downtime)
    {
        Downtime = downtime;
        Interlocked.Exchange(ref _cutAt, Interlocked.Read(ref _forwarded) + bytes);
    }

    private TimeSpan Downtime { get; set; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (_down || DateTime.UtcNow < _refuseUntil)
            {
                inbound.Client.Close(0);
                inbound.Dispose();
                continue;
            }

            _ = PipeAsync(inbound);
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        using var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_target, _stop.Token);
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            await Task.WhenAny(CopyAsync(inbound.GetStream(), outbound.GetStream(), fromClient: true), CopyAsync(outbound.GetStream(), inbound.GetStream(), fromClient: false));
        }
        catch (Exception)
        {
            // A cut or a peer closing: either way this connection is over.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            inbound.Dispose();
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        var started = DateTime.UtcNow;
        var body = new BodyPosition();
        long sent = 0;
        while (true)
        {
            var n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0)
            {
                return;
            }

            if (fromClient)
            {
                RecordRequestHead(buffer.AsSpan(0, n));
                DamageIfDue(buffer.AsSpan(0, n), body);
            }

            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            sent += n;
            var cutAt = Interlocked.Read(ref _cutAt);
            // Only the copier that disarms the cut performs it: several may cross the line at once.
            if (Interlocked.Add(ref _forwarded, n) >= cutAt && Interlocked.CompareExchange(ref _cutAt, long.MaxValue, cutAt) == cutAt)
            {
                Cut();
                return;
            }

            if (BytesPerSecond > 0)
            {
                var due = started + TimeSpan.FromSeconds((double)sent / BytesPerSecond);
                if (due > DateTime.UtcNow)
                {
                    await Task.Delay(due - DateTime.UtcNow, _stop.Token);
                }
            }
        }
    }

    private void Cut()
    {
        _refuseUntil = DateTime.UtcNow + Downtime;
        Cuts++;
        lock (_open)
        {
            foreach (var c in _open)
            {
                // RST, as a crashed server's kernel would answer.
                c.Client.Close(0);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        lock (_open)
        {
            foreach (var c in _open)
            {
                c.Dispose();
            }
        }

        _stop.Dispose();
    }
}
