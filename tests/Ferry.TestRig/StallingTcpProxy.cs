using System.Net;
using System.Net.Sockets;

namespace Ferry.TestRig;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real server that can be told to stall: from then on it
/// forwards nothing in either direction but keeps every connection open, like a server (or a
/// network path) that stopped answering without closing anything.
/// </summary>
public sealed class StallingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _heldData = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private volatile bool _stalled;
    private int _made;
    private int _stallUpTo;
    private int _open;

    private StallingTcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Completes once a client sent something after <see cref="Stall"/> (a request now waits for its answer).</summary>
    public Task HeldData => _heldData.Task;

    public static StallingTcpProxy Start(string targetHost, int targetPort) => new(targetHost, targetPort);

    public void Stall() => _stalled = true;

    /// <summary>
    /// Stalls only the connections made so far; new ones are forwarded. What a firewall or NAT that
    /// forgot an idle connection looks like: nothing arrives on it, nothing closes it.
    /// </summary>
    public void StallExisting() => Volatile.Write(ref _stallUpTo, Volatile.Read(ref _made));

    /// <summary>Connections made so far, and those neither side has closed yet.</summary>
    public int ConnectionsMade => Volatile.Read(ref _made);

    public int ConnectionsOpen => Volatile.Read(ref _open);

    /// <summary>Closes every connection made so far, both sides, as a server that went away would.</summary>
    public void CloseConnections()
    {
        lock (_connections)
        {
            foreach (var c in _connections)
            {
                c.Dispose();
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
                lock (_connections)
                {
                    _connections.Add(client);
                    _connections.Add(server);
                }

                var number = Interlocked.Increment(ref _made);
                Interlocked.Increment(ref _open);
                var fromClient = PumpAsync(client.GetStream(), server.GetStream(), fromClient: true, number);
                var fromServer = PumpAsync(server.GetStream(), client.GetStream(), fromClient: false, number);
                _ = Task.WhenAny(fromClient, fromServer).ContinueWith(_ => Interlocked.Decrement(ref _open), TaskScheduler.Default);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool fromClient, int number)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    to.Socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (_stalled || number <= Volatile.Read(ref _stallUpTo))
                {
                    if (fromClient)
                    {
                        _heldData.TrySetResult();
                    }

                    continue; // swallowed: the other side never hears of it
                }

                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
            // A side went away or the proxy stopped: nothing more to forward.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_connections)
        {
            foreach (var c in _connections)
            {
                c.Dispose();
            }
        }

        _stop.Dispose();
    }
}
