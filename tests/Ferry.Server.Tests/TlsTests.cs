using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Server.Tests.Support;
using Ferry.TestRig;

namespace Ferry.Server.Tests;

/// <summary>The API over https with the operator's certificate; a certificate that cannot be used stops the start.</summary>
public sealed class TlsTests
{
    private static X509Certificate2 SelfSigned() => TestCertificate.SelfSignedForLoopback();

    [Fact]
    public async Task WithACertificate_TheApiIsServedOverTlsWithIt_AndNotInTheClear()
    {
        using var certificate = SelfSigned();
        await using var server = new ServerProcess(tls: certificate);
        await server.StartAsync();

        // The admin creates a customer and the customer lists its jobs, all over TLS.
        using var client = await FerryClient.NewCustomerAsync(server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1/jobs")).Status);
        Assert.Contains("Ferry is listening on https://127.0.0.1:", server.Output);

        string? served = null;
        using var looking = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => (served = c?.GetCertHashString()) is not null },
        });
        Assert.Equal(HttpStatusCode.OK, (await looking.GetAsync(new Uri(server.BaseAddress, "healthz"))).StatusCode);
        Assert.Equal(certificate.GetCertHashString(), served);

        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        HttpStatusCode? inTheClear;
        try
        {
            inTheClear = (await plain.GetAsync($"http://127.0.0.1:{server.Port}/healthz")).StatusCode;
        }
        catch (HttpRequestException)
        {
            inTheClear = null;
        }

        Assert.NotEqual(HttpStatusCode.OK, inTheClear);
    }

    [Fact]
    public async Task ARenewedCertificate_IsServedWithoutARestart_AndARenewalThatCannotBeUsedKeepsTheOldOne()
    {
        using var first = SelfSigned();
        using var renewed = TestCertificate.SelfSignedForLoopback("ferry-renewed", days: 90);
        await using var server = new ServerProcess(tls: first);
        await server.StartAsync();
        var certFile = Path.Combine(server.DataDirectory, "tls.crt");
        var keyFile = Path.Combine(server.DataDirectory, "tls.key");
        var servedAtStart = await ServedCertificateAsync(server);

        // Half a renewal: the new certificate is there, its key not yet.
        await File.WriteAllTextAsync(certFile, renewed.ExportCertificatePem());
        // The files are looked at on a handshake (every 5 s at most): connect until the server has looked.
        var servedMeanwhile = new HashSet<string?>();
        await Eventually.TrueAsync(async () =>
        {
            servedMeanwhile.Add(await ServedCertificateAsync(server));
            return server.Output.Contains("The renewed TLS certificate is not used", StringComparison.Ordinal);
        }, "the server logged the renewal it could not use", TimeSpan.FromSeconds(30));
        servedMeanwhile.Add(await ServedCertificateAsync(server));
        await File.WriteAllTextAsync(keyFile, renewed.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await Eventually.TrueAsync(async () => await ServedCertificateAsync(server) == renewed.GetCertHashString(),
            "the renewed certificate was served", TimeSpan.FromSeconds(30));

        Assert.Equal(first.GetCertHashString(), servedAtStart);
        Assert.Equal([first.GetCertHashString()], servedMeanwhile);
        Assert.Contains("TLS certificate reloaded", server.Output);
        Assert.DoesNotContain("PRIVATE KEY", server.Output);
        // (server.CreateHandler() trusts the first certificate only.)
        using var any = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        var expires = PrometheusPage.Value(await any.GetStringAsync(new Uri(server.BaseAddress, "metrics")), "ferry_tls_certificate_expires_seconds");
        Assert.Equal(new DateTimeOffset(renewed.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), expires!.Value, 0.5);
    }

    /// <summary>The certificate a new connection to the server is shown (its SHA-1 hash, as GetCertHashString gives it).</summary>
    private static async Task<string?> ServedCertificateAsync(ServerProcess server)
    {
        string? served = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => (served = c?.GetCertHashString()) is not null },
        });
        await client.GetAsync(new Uri(server.BaseAddress, "healthz"));
        return served;
    }

    [Fact]
    public async Task HttpsWithoutACertificate_StopsTheStartNamingTheSettings()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__LISTEN"] = $"https://127.0.0.1:{LoopbackPort.Free()}" });

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Equal(2, server.ExitCode);
        Assert.Contains("FERRY__TLSCERTIFICATEFILE", failed.Message);
        Assert.Contains("FERRY__TLSKEYFILE", failed.Message);
    }

    [Fact]
    public async Task AKeyThatIsNotTheCertificates_StopsTheStartNamingTheFiles()
    {
        using var certificate = SelfSigned();
        using var other = SelfSigned();

        var (message, certFile, keyFile) = await RefusedStartAsync(certificate.ExportCertificatePem(), other.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        Assert.Contains($"the TLS certificate {certFile} with key {keyFile} cannot be used", message);
        Assert.DoesNotContain("PRIVATE KEY", message);
    }

    [Fact]
    public async Task AnExpiredCertificate_StopsTheStartSayingWhen()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var expired = new CertificateRequest("CN=ferry-test", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

        var (message, certFile, _) = await RefusedStartAsync(expired.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());

        Assert.Contains($"the TLS certificate {certFile} expired on {expired.NotAfter:yyyy-MM-dd}", message);
    }

    /// <summary>Starts a server on https with these PEM files; returns why it refused to start (exit code 2).</summary>
    private static async Task<(string Message, string CertFile, string KeyFile)> RefusedStartAsync(string certificatePem, string keyPem)
    {
        var dir = Directory.CreateTempSubdirectory("ferry-tls-").FullName;
        try
        {
            var certFile = Path.Combine(dir, "tls.crt");
            var keyFile = Path.Combine(dir, "tls.key");
            await File.WriteAllTextAsync(certFile, certificatePem);
            await File.WriteAllTextAsync(keyFile, keyPem);
            await using var server = new ServerProcess(new Dictionary<string, string>
            {
                ["FERRY__LISTEN"] = $"https://127.0.0.1:{LoopbackPort.Free()}",
                ["FERRY__TLSCERTIFICATEFILE"] = certFile,
                ["FERRY__TLSKEYFILE"] = keyFile,
            });

            var failed = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

            Assert.Equal(2, server.ExitCode);
            return (failed.Message, certFile, keyFile);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
