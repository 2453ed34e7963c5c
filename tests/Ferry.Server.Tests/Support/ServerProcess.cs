using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.TestRig;

namespace Ferry.Server.Tests.Support;

/// <summary>
/// A real `ferry-server` process on 127.0.0.1 with its own data directory, started as a user
/// would start it; can be stopped gracefully, killed with SIGKILL and started again on the same data.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <param name="tls">Serve https with this certificate (it must have its private key); clients made through <see cref="CreateHandler"/> trust it and nothing else.</param>
    public ServerProcess(IDictionary<string, string>? settings = null, X509Certificate2? tls = null)
    {
        Tls = tls;
        DataDirectory = Path.Combine(Path.GetTempPath(), "ferry-server-" + Guid.NewGuid().ToString("N")[..8]);
        Port = LoopbackPort.Free();
        AdminKey = "test-admin-key-" + Guid.NewGuid().ToString("N");
        _settings = new Dictionary<string, string>
        {
            ["FERRY__DATADIRECTORY"] = DataDirectory,
            ["FERRY__LISTEN"] = $"{(tls is null ? "http" : "https")}://127.0.0.1:{Port}",
            ["FERRY__ADMINKEY"] = AdminKey,
            // The rig's servers listen on loopback.
            ["FERRY__ALLOWPRIVATENETWORKS"] = "true",
            ["FERRY__POLLSECONDS"] = "0.2",
            ["FERRY__LEASESECONDS"] = "6",
            ["FERRY__SHUTDOWNGRACESECONDS"] = "5",
        };
        if (tls is not null)
        {
            Directory.CreateDirectory(DataDirectory);
            _settings["FERRY__TLSCERTIFICATEFILE"] = Path.Combine(DataDirectory, "tls.crt");
            _settings["FERRY__TLSKEYFILE"] = Path.Combine(DataDirectory, "tls.key");
            File.WriteAllText(_settings["FERRY__TLSCERTIFICATEFILE"], tls.ExportCertificatePem());
            File.WriteAllText(_settings["FERRY__TLSKEYFILE"], (tls.GetECDsaPrivateKey() ?? (AsymmetricAlgorithm?)tls.GetRSAPrivateKey())!.ExportPkcs8PrivateKeyPem());
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            _settings[k] = v;
        }
    }

    public string DataDirectory { get; }

    /// <summary>One value from the server's own SQLite store, read-only: for what the API never shows (secrets, trace parents).</summary>
    public Task<object?> QueryStoreAsync(string sql, params (string Name, object Value)[] parameters) =>
        OnStoreAsync("Mode=ReadOnly;", sql, parameters, c => c.ExecuteScalarAsync());

    /// <summary>
    /// Changes the stopped server's store: for what only time would do (ageing records past a
    /// retention). Returns the rows changed.
    /// </summary>
    public Task<int> ChangeStoreAsync(string sql, params (string Name, object Value)[] parameters) =>
        _process is { HasExited: false }
            ? throw new InvalidOperationException("stop the server before changing its store")
            : OnStoreAsync("", sql, parameters, c => c.ExecuteNonQueryAsync());

    private async Task<T> OnStoreAsync<T>(string mode, string sql, (string Name, object Value)[] parameters, Func<Microsoft.Data.Sqlite.SqliteCommand, Task<T>> run)
    {
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDirectory, "ferry.db")};{mode}Pooling=False");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await run(command);
    }

    public int Port { get; }

    public string AdminKey { get; }

    public X509Certificate2? Tls { get; }

    public Uri BaseAddress => new($"{(Tls is null ? "http" : "https")}://127.0.0.1:{Port}/");

    /// <summary>For clients of this server: with TLS, one that accepts exactly the server's certificate.</summary>
    public HttpMessageHandler CreateHandler() => new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, served, _, _) => Tls is not null && served is not null && served.GetCertHashString() == Tls.GetCertHashString() },
    };

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ferry-server.dll"));
        psi.Environment.Remove("AWS_CA_BUNDLE");
        foreach (var (k, v) in _settings)
        {
            psi.Environment[k] = v;
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient(CreateHandler()) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Also waits for the redirected output to be read to its end: the reason is in it.
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"ferry-server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                if ((await http.GetAsync("readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"ferry-server did not become ready:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public async Task KillAsync()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as Ctrl-C or a service manager sends it; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await KillAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
