using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.TestRig;

/// <summary>Certificates for serving https on loopback in tests.</summary>
public static class TestCertificate
{
    /// <summary>A self-signed ECDSA certificate (with its private key) for 127.0.0.1, valid for <paramref name="days"/> days.</summary>
    public static X509Certificate2 SelfSignedForLoopback(string commonName = "ferry-test", int days = 1)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(days));
    }
}
