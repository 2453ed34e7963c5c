namespace Ferry.Cli.Remote;

/// <summary>
/// <c>ENDPOINT:PATH</c> as the remote commands take it: an endpoint id (<c>ep_...</c>) or name,
/// a colon, and a path relative to the endpoint's base (a file, a directory ending in '/', a glob).
/// </summary>
internal sealed record EndpointReference(string Endpoint, string Path)
{
    public static EndpointReference Parse(string text, string argument)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw RemoteException.Usage($"{argument}: '{text}' is not ENDPOINT:PATH (an endpoint id or name, a colon, a path under its base)");
        }

        var path = text[(colon + 1)..];
        return path.Length == 0
            ? throw RemoteException.Usage($"{argument}: '{text}' names no path after the colon ('/' is the endpoint's base)")
            : new EndpointReference(text[..colon], path);
    }

    /// <summary>
    /// Each reference's endpoint id: as given, or the one endpoint of the caller with that name
    /// (the endpoints are listed once, and only if a name needs it). A name that no endpoint or
    /// several carry is refused, naming the ids to choose from.
    /// </summary>
    public static async Task<string[]> ResolveAsync(FerryApi api, IReadOnlyList<(EndpointReference Reference, string Argument)> references, CancellationToken cancellationToken)
    {
        Listing<EndpointDto>? endpoints = null;
        var ids = new string[references.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var (reference, argument) = references[i];
            if (reference.Endpoint.StartsWith("ep_", StringComparison.Ordinal))
            {
                ids[i] = reference.Endpoint;
                continue;
            }

            endpoints ??= await ListAllAsync(api, cancellationToken);
            var matches = endpoints.Items.Where(e => string.Equals(e.Name, reference.Endpoint, StringComparison.Ordinal)).ToList();
            ids[i] = matches.Count switch
            {
                1 => matches[0].EndpointId,
                0 => throw RemoteException.Usage($"{argument}: no endpoint is named '{reference.Endpoint}' ('ferry endpoints list' shows them)"),
                _ => throw RemoteException.Usage(
                    $"{argument}: {matches.Count} endpoints are named '{reference.Endpoint}' ({string.Join(", ", matches.Select(m => m.EndpointId))}); give the id"),
            };
        }

        return ids;
    }

    public static Task<Listing<EndpointDto>> ListAllAsync(FerryApi api, CancellationToken cancellationToken) =>
        Listing<EndpointDto>.AllAsync(api, "v1/endpoints", "endpoints", RemoteJson.Default.EndpointPageDto, p => p.Endpoints, p => p.NextCursor, cancellationToken);
}
