using System.CommandLine;

namespace Ferry.Cli.Commands;

/// <summary>
/// `ferry serve`: the transfer service (REST API and engine on the embedded store). The service is
/// `ferry-server`, installed beside `ferry` (publishing Ferry.Cli publishes both); this command
/// becomes that process (<see cref="ServerExec"/>), with the same arguments, so signals, exit code
/// and process id are the server's own. `ferry` itself is Native AOT (fast start, small footprint
/// for one-shot copies); the server stays on the JIT, whose tiered PGO serves more API requests.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command(
            "serve",
            "Run the transfer service: the REST API and the job engine on SQLite in the data directory (runs ferry-server, installed beside ferry). " +
            "Settings come from appsettings.json, FERRY__<NAME> environment variables and --Ferry:<Name>=value arguments " +
            "(e.g. --Ferry:Listen=http://127.0.0.1:9000); Ctrl-C stops it after running transfers finish or give back their leases.")
        {
            // --Ferry:<Name>=value settings are the server's, not options of this command.
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(parse => ServerExec.Run([.. parse.UnmatchedTokens], Console.Error));
        return command;
    }
}
