using System.Net;
using System.Net.Sockets;
using Ferry.Core.Endpoints;
using Ferry.Core.Errors;
using Microsoft.AspNetCore.Http;

using Endpoint = Ferry.Core.Endpoints.Endpoint;

namespace Ferry.Server.Api.Endpoints;

/// <summary>
/// What must hold before an endpoint becomes ACTIVE: its host is not on a private network (SSRF
/// guard, unless the operator allows it), and Ferry can connect, authenticate, trust the host
/// key and see the base path or bucket. A failure is a 422 naming the check that failed.
/// </summary>
internal sealed class EndpointConnectivity(IEndpointConnectors connectors, bool allowPrivateNetworks)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Null when the endpoint works; then <paramref name="endpoint"/> carries the host key pinned by trust-on-first-use.</summary>
    public async Task<(Endpoint Endpoint, IResult? Problem)> CheckAsync(Endpoint endpoint, EndpointCredentials credentials, CancellationToken cancellationToken)
    {
        var (host, field) = endpoint.Kind == EndpointKind.Sftp
            ? (endpoint.Sftp!.Host, "sftp.host")
            : (endpoint.S3!.ServiceUrl is { } url ? new Uri(url).Host : null, "s3.service_url");
        if (host is not null && await GuardAsync(host, field, cancellationToken).ConfigureAwait(false) is { } blocked)
        {
            return (endpoint, blocked);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var hostKey = await connectors.ValidateAsync(endpoint, credentials, timeout.Token).ConfigureAwait(false);
            if (endpoint.Sftp is { } sftp && hostKey is not null && sftp.HostKeySha256.Length == 0)
            {
                endpoint = endpoint with { Sftp = sftp with { HostKeySha256 = hostKey } };
            }

            return (endpoint, null);
        }
        catch (FerryException ex)
        {
            return (endpoint, Failed(CheckOf(ex.Code, endpoint.Kind), ex.Code, ex.Message));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (endpoint, Failed("tcp", ErrorCodes.Timeout, $"no answer from {host ?? "the S3 service"} within {Timeout.TotalSeconds:F0} s"));
        }
    }

    private async Task<IResult?> GuardAsync(string host, string field, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return Failed("dns", ErrorCodes.HostNotFound, $"{host} does not resolve ({ex.SocketErrorCode})");
        }

        if (addresses.Length == 0)
        {
            return Failed("dns", ErrorCodes.HostNotFound, $"{host} has no addresses");
        }

        if (!allowPrivateNetworks && addresses.FirstOrDefault(IsPrivate) is { } inside)
        {
            return Problems.Field(field, $"resolves to {inside}, a loopback, private or link-local address; an operator can allow those with FERRY__ALLOWPRIVATENETWORKS=true");
        }

        return null;
    }

    /// <summary>True when <paramref name="url"/> names a private, loopback or link-local address literally (names are checked when connecting).</summary>
    internal static bool IsPrivateLiteral(Uri url) => IPAddress.TryParse(url.IdnHost, out var ip) && IsPrivate(ip);

    internal static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal
            || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast)
        {
            return true;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] is >= 64 and <= 127) || b[0] >= 224;
    }

    private static string CheckOf(string code, EndpointKind kind) => code switch
    {
        ErrorCodes.HostNotFound => "dns",
        ErrorCodes.ConnectionFailed or ErrorCodes.Timeout => "tcp",
        ErrorCodes.HostKeyMismatch or ErrorCodes.HostKeyNotTrusted => "host_key",
        ErrorCodes.AuthenticationFailed => "auth",
        ErrorCodes.NotFound when kind == EndpointKind.S3 => "bucket",
        ErrorCodes.NotFound or ErrorCodes.InvalidConfiguration or ErrorCodes.InvalidPath => "base_path",
        ErrorCodes.PermissionDenied => kind == EndpointKind.S3 ? "auth" : "base_path",
        _ => "connect",
    };

    private static IResult Failed(string check, string code, string detail) =>
        Problems.Status(StatusCodes.Status422UnprocessableEntity, "Endpoint validation failed", detail, "endpoint-validation",
            new Dictionary<string, object?> { ["check"] = check, ["error_code"] = code });
}
