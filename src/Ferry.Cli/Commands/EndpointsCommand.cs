using System.CommandLine;
using Ferry.Cli.Output;
using Ferry.Cli.Remote;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry endpoints list|show</c>: the caller's endpoints on a Ferry server, to find the ids and
/// names <c>ferry transfer</c> takes. Registering one (credentials, host key checks) is the REST
/// API's <c>POST /v1/endpoints</c>.
/// </summary>
internal static class EndpointsCommand
{
    private static readonly Argument<string> EndpointArgument = new("endpoint") { Description = "The endpoint's id (ep_...) or name" };

    public static Command Create()
    {
        var list = new Command("list", "List the endpoints") { RemoteCommand.Json };
        list.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ListAsync(api, parse, ct)));
        var show = new Command("show", "Show one endpoint (credentials are never shown)") { EndpointArgument, RemoteCommand.Json };
        show.SetAction((parse, ct) => RemoteCommand.RunAsync(parse, ct, api => ShowAsync(api, parse, ct)));
        return new Command("endpoints", "The endpoints on a Ferry server (--server, FERRY_SERVER; key from FERRY_API_KEY or --api-key-file)") { list, show, ServerConnection.Server, ServerConnection.ApiKeyFile };
    }

    private static async Task<int> ListAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var endpoints = await EndpointReference.ListAllAsync(api, cancellationToken);
        if (parse.GetValue(RemoteCommand.Json))
        {
            Console.WriteLine(endpoints.Json("endpoints"));
            return ExitCodes.Ok;
        }

        var table = new PlainTable("ENDPOINT", "NAME", "TYPE", "STATUS", "WHERE");
        foreach (var e in endpoints.Items)
        {
            table.Add(e.EndpointId, e.Name, e.Type, e.Status, Where(e));
        }

        Console.Write(table.ToString());
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(FerryApi api, ParseResult parse, CancellationToken cancellationToken)
    {
        var id = (await EndpointReference.ResolveAsync(api, [(new EndpointReference(parse.GetRequiredValue(EndpointArgument), "/"), "endpoint")], cancellationToken))[0];
        var answer = await api.GetAsync($"v1/endpoints/{RemoteCommand.Escape(id)}", RemoteJson.Default.EndpointDto, cancellationToken);
        if (parse.GetValue(RemoteCommand.Json))
        {
            Console.WriteLine(answer.Json);
            return ExitCodes.Ok;
        }

        var e = answer.Value;
        Console.Write(
            $"endpoint:    {e.EndpointId}\nname:        {e.Name}\ntype:        {e.Type}\nstatus:      {e.Status}\ndirection:   {e.Direction}\n" +
            $"where:       {Where(e)}\n" +
            (e.Sftp is { } s ? $"host key:    {s.HostKeySha256}\n" : "") +
            $"concurrency: {e.MaxConcurrency}\nversion:     {e.Version}\n" +
            (e.ValidatedAt is { } v ? $"validated:   {JobOutput.Time(v)}\n" : ""));
        return ExitCodes.Ok;
    }

    private static string Where(EndpointDto e) =>
        e.Sftp is { } s ? $"sftp://{s.Username}@{s.Host}:{s.Port}{s.BasePath}"
        : e.S3 is { } b ? $"s3://{b.Bucket}/{b.Prefix}" + (b.ServiceUrl is null ? "" : $" at {b.ServiceUrl}")
        : "-";
}
