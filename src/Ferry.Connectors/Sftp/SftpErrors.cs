using System.Net.Sockets;
using Ferry.Core.Errors;
using Renci.SshNet.Common;

namespace Ferry.Connectors.Sftp;

/// <summary>Translates SSH.NET and socket exceptions into Ferry's transient/permanent errors.</summary>
internal static class SftpErrors
{
    public static FerryException Classify(Exception ex, string where, SftpSessionFacts? facts = null)
    {
        if (ex is FerryException fe)
        {
            return fe;
        }

        if (facts?.HostKeyRejection is { } rejection)
        {
            return rejection;
        }

        return ex switch
        {
            SshAuthenticationException => FerryException.Permanent(ErrorCodes.AuthenticationFailed,
                $"{where}: the server rejected the credentials ({ex.Message.TrimEnd('.')}). Check the username, key or password.", ex),
            SftpPathNotFoundException => FerryException.Permanent(ErrorCodes.NotFound, $"{where}: no such file or directory", ex),
            SftpPermissionDeniedException => FerryException.Permanent(ErrorCodes.PermissionDenied,
                $"{where}: permission denied by the server", ex),
            SshOperationTimeoutException => FerryException.Transient(ErrorCodes.Timeout, $"{where}: the server did not answer in time", ex),
            SocketException se => ClassifySocket(se, where),
            SshConnectionException => FerryException.Transient(ErrorCodes.ConnectionFailed,
                $"{where}: the SSH connection failed ({ex.Message.TrimEnd('.')})", ex),
            ProxyException => FerryException.Transient(ErrorCodes.ConnectionFailed, $"{where}: {ex.Message}", ex),
            SshException when ex.Message.Contains("Failure", StringComparison.OrdinalIgnoreCase) =>
                FerryException.Transient(ErrorCodes.ServerError, $"{where}: the server reported a failure ({ex.Message})", ex),
            SshException => FerryException.Transient(ErrorCodes.ServerError, $"{where}: {ex.Message}", ex),
            IOException or ObjectDisposedException => FerryException.Transient(ErrorCodes.ConnectionFailed,
                $"{where}: the connection was lost ({ex.Message.TrimEnd('.')})", ex),
            TimeoutException => FerryException.Transient(ErrorCodes.Timeout, $"{where}: timed out", ex),
            _ when ex.InnerException is not null => Classify(ex.InnerException, where, facts),
            _ => FerryException.Transient(ErrorCodes.ServerError, $"{where}: {ex.GetType().Name}: {ex.Message}", ex),
        };
    }

    private static FerryException ClassifySocket(SocketException se, string where) => se.SocketErrorCode switch
    {
        SocketError.HostNotFound or SocketError.NoData => FerryException.Permanent(ErrorCodes.HostNotFound,
            $"{where}: the host name does not resolve", se),
        SocketError.TryAgain => FerryException.Transient(ErrorCodes.HostNotFound, $"{where}: DNS lookup failed for now", se),
        SocketError.ConnectionRefused => FerryException.Transient(ErrorCodes.ConnectionFailed,
            $"{where}: connection refused (nothing listens on that port, or a firewall rejects it)", se),
        SocketError.TimedOut => FerryException.Transient(ErrorCodes.Timeout, $"{where}: the connection timed out", se),
        _ => FerryException.Transient(ErrorCodes.ConnectionFailed, $"{where}: network error {se.SocketErrorCode}", se),
    };
}

/// <summary>What the host-key check saw during one connection attempt.</summary>
internal sealed class SftpSessionFacts
{
    public string? PresentedHostKey { get; set; }

    public FerryException? HostKeyRejection { get; set; }
}
