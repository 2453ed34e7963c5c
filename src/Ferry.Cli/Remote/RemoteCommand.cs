using System.CommandLine;
using Ferry.Cli.Commands;

namespace Ferry.Cli.Remote;

/// <summary>
/// Runs a command that talks to a Ferry server: connects as the options and environment say, and
/// turns a <see cref="RemoteException"/> into its message on stderr and its exit code.
/// </summary>
internal static class RemoteCommand
{
    public static readonly Option<bool> Json = new("--json") { Description = "Print the server's JSON answer instead of a table" };

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<FerryApi, Task<int>> action)
    {
        try
        {
            using var api = new FerryApi(ServerConnection.From(parse));
            return await action(api);
        }
        catch (RemoteException e)
        {
            await Console.Error.WriteLineAsync($"ferry: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("ferry: cancelled (the server keeps what it already accepted)");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>Escapes a path segment or query value the user typed.</summary>
    public static string Escape(string value) => Uri.EscapeDataString(value);
}
