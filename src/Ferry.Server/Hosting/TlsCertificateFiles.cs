using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Hosting;

/// <summary>
/// The API's https certificate, read from its PEM files and read again when they change: a
/// renewal (certbot, cert-manager, an operator copying new files) takes effect on the next
/// connection, with no restart and so no transfers interrupted. The files are looked at (two
/// stat calls) at most every <see cref="CheckEvery"/>, on a TLS handshake. A renewal that cannot
/// be used (a key that is not the certificate's, half-written files, an expired certificate) is
/// logged once and the certificate before it kept; it is tried again when the files change again.
/// </summary>
internal sealed class TlsCertificateFiles
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private volatile X509Certificate2 _current;
    private (DateTime, long, DateTime, long) _loadedStamp;
    private (DateTime, long, DateTime, long)? _refusedStamp;
    private long _nextCheckTicks;

    private TlsCertificateFiles(string certificateFile, string keyFile, X509Certificate2 certificate, (DateTime, long, DateTime, long) stamp, TimeProvider time)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _current = certificate;
        _loadedStamp = stamp;
        _time = time;
        _nextCheckTicks = time.GetTimestamp();
    }

    /// <summary>Set once the host is built: where a refused renewal is reported.</summary>
    public ILogger? Logger { get; set; }

    public X509Certificate2 Current => _current;

    /// <summary>The certificate in the files, or why it cannot be used (the start fails with that).</summary>
    public static (TlsCertificateFiles? Files, string? Error) Load(string certificateFile, string keyFile, TimeProvider time)
    {
        var stamp = Stamp(certificateFile, keyFile);
        var (certificate, error) = Read(certificateFile, keyFile, time);
        return certificate is null ? (null, error) : (new TlsCertificateFiles(certificateFile, keyFile, certificate, stamp, time), null);
    }

    /// <summary>Kestrel's certificate selector: the current certificate, read again first if the files changed.</summary>
    public X509Certificate2 Select()
    {
        var now = _time.GetTimestamp();
        if (now < Interlocked.Read(ref _nextCheckTicks))
        {
            return _current;
        }

        lock (_lock)
        {
            if (now >= _nextCheckTicks)
            {
                _nextCheckTicks = now + (long)(CheckEvery.TotalSeconds * _time.TimestampFrequency);
                ReloadIfChanged();
            }
        }

        return _current;
    }

    private void ReloadIfChanged()
    {
        (DateTime, long, DateTime, long) stamp;
        try
        {
            stamp = Stamp(_certificateFile, _keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return; // moved away for a moment (a renewal swapping files): look again at the next check
        }

        if (stamp == _loadedStamp || stamp == _refusedStamp)
        {
            return;
        }

        var (certificate, error) = Read(_certificateFile, _keyFile, _time);
        if (certificate is null)
        {
            _refusedStamp = stamp;
            Logger?.LogError("The renewed TLS certificate is not used, the one from before is served until the files change again: {Reason}", error);
            return;
        }

        var previous = _current;
        _current = certificate;
        _loadedStamp = stamp;
        _refusedStamp = null;
        Logger?.LogInformation("TLS certificate reloaded from {CertificateFile}: {Subject}, valid until {NotAfter:u} (was until {PreviousNotAfter:u})",
            _certificateFile, certificate.Subject, certificate.NotAfter.ToUniversalTime(), previous.NotAfter.ToUniversalTime());
        // Not disposed: a handshake that took it a moment ago may still be using it.
    }

    private static (X509Certificate2? Certificate, string? Error) Read(string certificateFile, string keyFile, TimeProvider time)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, $"the TLS certificate {certificateFile} with key {keyFile} cannot be used: {ex.Message}");
        }

        if (certificate.NotAfter.ToUniversalTime() < time.GetUtcNow().UtcDateTime)
        {
            var notAfter = certificate.NotAfter;
            certificate.Dispose();
            return (null, $"the TLS certificate {certificateFile} expired on {notAfter:yyyy-MM-dd}");
        }

        return (certificate, null);
    }

    private static (DateTime, long, DateTime, long) Stamp(string certificateFile, string keyFile)
    {
        var c = new FileInfo(certificateFile);
        var k = new FileInfo(keyFile);
        return c.Exists && k.Exists
            ? (c.LastWriteTimeUtc, c.Length, k.LastWriteTimeUtc, k.Length)
            : throw new FileNotFoundException($"{(c.Exists ? keyFile : certificateFile)} is missing");
    }
}
