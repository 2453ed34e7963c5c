using System.Collections.Concurrent;
using Ferry.Core.Errors;
using Renci.SshNet;

namespace Ferry.Connectors.Sftp;

/// <summary>
/// A few SSH connections to one server, reused across operations. A connection is handed to
/// one user at a time (an SFTP session is safe for concurrent requests, but a handle's stream is
/// not, and one connection per transfer keeps one slow transfer from starving another).
/// Connections that saw an error are dropped, not returned; idle ones are checked with a round
/// trip before reuse (given <see cref="SftpEndpointOptions.IdleCheckTimeout"/> to answer), and
/// closed once idle for <see cref="SftpEndpointOptions.MaxIdle"/>.
/// </summary>
internal sealed class SftpConnectionPool : IAsyncDisposable
{
    private readonly SftpEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<(SftpClient Client, long ReturnedAt)> _idle = new();
    private readonly ITimer _reaper;
    private int _disposed;

    public SftpConnectionPool(SftpEndpointOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _slots = new SemaphoreSlim(Math.Max(1, options.MaxConnections));
        var every = options.MaxIdle > TimeSpan.Zero ? options.MaxIdle / 2 : Timeout.InfiniteTimeSpan;
        _reaper = _time.CreateTimer(_ => CloseLongIdle(), null, every, every);
    }

    /// <summary>The host key the server presented on the most recent connection, for trust-on-first-use.</summary>
    public string? LastPresentedHostKey { get; private set; }

    /// <summary>Cipher negotiated on the most recent connection (for benchmarks and diagnostics).</summary>
    public string? LastCipher { get; private set; }

    /// <summary>Whether the most recent connection's socket blocks in the kernel (<see cref="SftpSocketBlocking"/>).</summary>
    public bool SocketBlocks { get; private set; }

    /// <summary>The receive buffer the kernel granted the most recent connection's socket (<see cref="SftpSocketBuffers"/>).</summary>
    public int SocketReceiveBuffer { get; private set; }

    public async Task<SftpLease> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_idle.TryTake(out var idle))
            {
                if (_time.GetElapsedTime(idle.ReturnedAt) >= _options.MaxIdle)
                {
                    idle.Client.Dispose();
                    continue;
                }

                bool healthy;
                try
                {
                    healthy = await IsHealthyAsync(idle.Client, idle.ReturnedAt, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // Cancelled mid-check: the abandoned check may still be waiting on this connection.
                    idle.Client.Dispose();
                    throw;
                }

                if (healthy)
                {
                    return new SftpLease(this, idle.Client);
                }

                idle.Client.Dispose();
            }

            return new SftpLease(this, await ConnectAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    internal void Return(SftpClient client, bool broken)
    {
        if (broken || _disposed != 0 || !client.IsConnected)
        {
            client.Dispose();
        }
        else
        {
            _idle.Add((client, _time.GetTimestamp()));
        }

        _slots.Release();
    }

    private async Task<bool> IsHealthyAsync(SftpClient client, long returnedAt, CancellationToken cancellationToken)
    {
        if (!client.IsConnected)
        {
            return false;
        }

        if (_time.GetElapsedTime(returnedAt) < _options.IdleCheckAfter)
        {
            return true;
        }

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(_options.IdleCheckTimeout);
        try
        {
            // A cheap round trip: the server may have closed an idle connection without us noticing.
            _ = await SftpDirectStat.StatAsync(client, ".", patience.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // No answer in time counts as a dead connection, not as the caller giving up.
            return false;
        }
    }

    /// <summary>The reaper's tick: idle connections past <see cref="SftpEndpointOptions.MaxIdle"/> are closed, the rest go back.</summary>
    private void CloseLongIdle()
    {
        var keep = new List<(SftpClient Client, long ReturnedAt)>();
        while (_idle.TryTake(out var idle))
        {
            if (_time.GetElapsedTime(idle.ReturnedAt) >= _options.MaxIdle)
            {
                idle.Client.Dispose();
            }
            else
            {
                keep.Add(idle);
            }
        }

        foreach (var idle in keep)
        {
            _idle.Add(idle);
        }
    }

    private async Task<SftpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var where = $"sftp://{_options.Username}@{_options.Host}:{_options.Port}";
        var facts = new SftpSessionFacts();
        var client = new SftpClient(BuildConnectionInfo());
        client.HostKeyReceived += (_, e) =>
        {
            var presented = SftpHostKey.Format(e.FingerPrintSHA256);
            facts.PresentedHostKey = presented;
            LastPresentedHostKey = presented;
            e.CanTrust = CheckHostKey(presented, where, facts);
        };
        client.OperationTimeout = _options.OperationTimeout;
        client.BufferSize = (uint)_options.BufferSize;
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var socket = SftpSocketBlocking.SocketOf(client);
            SocketReceiveBuffer = SftpSocketBuffers.TryWiden(socket);
            SocketBlocks = SftpSocketBlocking.TryRestore(socket);
            LastCipher = client.ConnectionInfo.CurrentClientEncryption;
            return client;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw SftpErrors.Classify(ex, where, facts);
        }
    }

    private bool CheckHostKey(string presented, string where, SftpSessionFacts facts)
    {
        if (_options.HostKeySha256 is { } pinned)
        {
            if (SftpHostKey.Matches(pinned, presented))
            {
                return true;
            }

            facts.HostKeyRejection = Mismatch(where, presented, $"{SftpHostKey.Normalize(pinned) ?? pinned} is pinned");
            return false;
        }

        if (_options.KnownHostKeys.Count == 0)
        {
            facts.HostKeyRejection = FerryException.Permanent(ErrorCodes.HostKeyNotTrusted,
                $"{where}: no host key is pinned for this server; it presented {presented}. Ferry connects only to servers whose key is pinned.");
            return false;
        }

        if (_options.KnownHostKeys.Any(known => SftpHostKey.Matches(known, presented)))
        {
            return true;
        }

        facts.HostKeyRejection = Mismatch(where, presented,
            $"{_options.KnownHostKeysSource ?? "the known hosts"} lists {string.Join(", ", _options.KnownHostKeys)} for it");
        return false;
    }

    private static FerryException Mismatch(string where, string presented, string expected) =>
        FerryException.Permanent(ErrorCodes.HostKeyMismatch,
            $"{where}: HOST KEY MISMATCH. The server presented {presented} but {expected}. " +
            "The server may have been reinstalled, or someone may be intercepting the connection; Ferry will not connect until the pinned key is updated.");

    private ConnectionInfo BuildConnectionInfo()
    {
        var methods = new List<AuthenticationMethod>();
        if (_options.PrivateKey is { } keyText)
        {
            try
            {
                using var keyStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(keyText));
                var key = _options.PrivateKeyPassphrase is null
                    ? new PrivateKeyFile(keyStream)
                    : new PrivateKeyFile(keyStream, _options.PrivateKeyPassphrase);
                methods.Add(new PrivateKeyAuthenticationMethod(_options.Username, key));
            }
            catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or ArgumentException or InvalidOperationException or FormatException)
            {
                throw FerryException.Permanent(ErrorCodes.InvalidConfiguration,
                    $"The private key for {_options.Username}@{_options.Host} could not be read: {ex.Message}", ex);
            }
        }

        if (_options.Password is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(_options.Username, password));
        }

        if (methods.Count == 0)
        {
            throw FerryException.Permanent(ErrorCodes.InvalidConfiguration,
                $"No credentials for {_options.Username}@{_options.Host}: give a private key or a password.");
        }

        var info = new ConnectionInfo(_options.Host, _options.Port, _options.Username, methods.ToArray())
        {
            Timeout = _options.ConnectTimeout,
        };
        if (_options.PreferAesGcm && info.Encryptions.TryGetValue("aes128-gcm@openssh.com", out var gcm))
        {
            info.Encryptions.Remove("aes128-gcm@openssh.com");
            info.Encryptions.Insert(0, "aes128-gcm@openssh.com", gcm);
        }

        return info;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _reaper.Dispose();
            while (_idle.TryTake(out var idle))
            {
                idle.Client.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>One borrowed connection. Dispose returns it; call <see cref="MarkBroken"/> first if it failed.</summary>
internal sealed class SftpLease : IDisposable
{
    private readonly SftpConnectionPool _pool;
    private bool _broken;
    private int _returned;

    public SftpLease(SftpConnectionPool pool, SftpClient client)
    {
        _pool = pool;
        Client = client;
    }

    public SftpClient Client { get; }

    public void MarkBroken() => _broken = true;

    /// <summary>The connection failed or an operation on it was cancelled: it is dropped, not reused.</summary>
    public bool IsBroken => _broken;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            _pool.Return(Client, _broken);
        }
    }
}
