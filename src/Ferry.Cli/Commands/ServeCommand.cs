using System.CommandLine;
using Ferry.Server.Hosting;

namespace Ferry.Cli.Commands;

/// <summary>
/// `ferry serve`: the transfer service (REST API and engine on the embedded store) from the same
/// binary as `ferry copy`. The composition lives in Ferry.Server; this only hands it the settings.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command(
            "serve",
            "Run the transfer service: the REST API and the job engine on SQLite in the data directory. " +
            "Settings come from appsettings.json, FERRY__<NAME> environment variables and --Ferry:<Name>=value arguments " +
            "(e.g. --Ferry:Listen=http://127.0.0.1:9000); Ctrl-C stops it after running transfers finish or give back their leases.")
        {
            // --Ferry:<Name>=value settings are the host's, not options of this command.
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, _) => FerryHost.RunAsync([.. parse.UnmatchedTokens]));
        return command;
    }
}
