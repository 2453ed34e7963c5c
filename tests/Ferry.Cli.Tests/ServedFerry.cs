using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary>
/// A `ferry serve` of the binary under test (SQLite in a temp directory, loopback endpoints
/// allowed) with one customer, whose API key the remote commands are given; registers endpoints
/// through the REST API as a user would.
/// </summary>
internal sealed class ServedFerry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;
    private readonly HttpClient _admin;

    private readonly X509Certificate2? _tls;

    private ServedFerry(Process process, string data, Uri url, HttpClient admin, X509Certificate2? tls)
    {
        _process = process;
        _data = data;
        Url = url;
        _admin = admin;
        _tls = tls;
    }

    public Uri Url { get; }

    public string ApiKey { get; private set; } = "";

    /// <summary>What the remote commands need to reach this server as the customer.</summary>
    public Dictionary<string, string> Env => new() { ["FERRY_SERVER"] = Url.ToString(), ["FERRY_API_KEY"] = ApiKey };

    /// <summary>The certificate file of a server started with one (PEM).</summary>
    public string CertificateFile => Path.Combine(_data, "tls.crt");

    /// <param name="workers">0: an API-only server, whose jobs stay QUEUED.</param>
    /// <param name="tls">Serve https with this certificate (and its private key).</param>
    /// <param name="settings">More settings, as `--Ferry:Name=value` arguments.</param>
    public static async Task<ServedFerry> StartAsync(int workers = 2, X509Certificate2? tls = null, params string[] settings)
    {
        var data = Directory.CreateTempSubdirectory("ferry-cli-served-").FullName;
        var port = LoopbackPort.Free();
        var adminKey = "cli-test-admin-" + Guid.NewGuid().ToString("N");
        List<string> args =
        [
            "serve", $"--Ferry:Listen={(tls is null ? "http" : "https")}://127.0.0.1:{port}", $"--Ferry:DataDirectory={data}", $"--Ferry:AdminKey={adminKey}",
            "--Ferry:AllowPrivateNetworks=true", $"--Ferry:Workers={workers.ToString(CultureInfo.InvariantCulture)}",
        ];
        args.AddRange(settings);
        if (tls is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(data, "tls.crt"), tls.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(data, "tls.key"), tls.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            args.AddRange([$"--Ferry:TlsCertificateFile={Path.Combine(data, "tls.crt")}", $"--Ferry:TlsKeyFile={Path.Combine(data, "tls.key")}"]);
        }

        var psi = FerryProcess.StartInfo(args);
        psi.RedirectStandardInput = false;
        psi.RedirectStandardOutput = false;
        psi.RedirectStandardError = false;
        var process = Process.Start(psi)!;
        var url = new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{port}/");
        var admin = new HttpClient(Handler(tls)) { BaseAddress = url };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var served = new ServedFerry(process, data, url, admin, tls);
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    return (await admin.GetAsync("readyz")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "ferry serve answered /readyz", TimeSpan.FromSeconds(60));
            var customer = await admin.PostAsJsonAsync("v1/customers", new { name = "cli tests" });
            customer.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await customer.Content.ReadAsStringAsync());
            served.ApiKey = json.RootElement.GetProperty("api_key").GetProperty("token").GetString()!;
            return served;
        }
        catch
        {
            await served.DisposeAsync();
            throw;
        }
    }

    /// <summary>An SFTP endpoint on the rig's ed25519 user, rooted at <paramref name="basePath"/> (through <paramref name="port"/>, a proxy, if given); returns its id.</summary>
    public async Task<string> RegisterSftpAsync(SftpServer sftp, string name, string basePath, int? port = null)
    {
        using var client = new HttpClient(Handler(_tls)) { BaseAddress = Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var response = await client.PostAsJsonAsync("v1/endpoints", new
        {
            name,
            type = "sftp",
            sftp = new { host = sftp.Host, port = port ?? sftp.Port, username = sftp.Ed25519User, base_path = basePath, host_key_sha256 = sftp.HostKey },
            credentials = new { private_key = await File.ReadAllTextAsync(sftp.Ed25519KeyPath) },
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("endpoint_id").GetString()!;
    }

    /// <summary>Trusts exactly the test certificate, when there is one.</summary>
    private static SocketsHttpHandler Handler(X509Certificate2? tls) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = tls is null ? null : (_, c, _, _) => c?.GetCertHashString() == tls.GetCertHashString() },
    };

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
