using Ferry.Cli.Commands;

namespace Ferry.Cli.Remote;

/// <summary>A remote command's failure with the exit code it ends the command with.</summary>
internal sealed class RemoteException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The command line or its input is wrong (exit 2); trying again will not help.</summary>
    public static RemoteException Usage(string message) => new(ExitCodes.Usage, message);

    /// <summary>The server could not be reached or answered 5xx (exit 3); trying again may help.</summary>
    public static RemoteException Transient(string message) => new(ExitCodes.Transient, message);

    /// <summary>The server refused the request (exit 1 or 2, see <see cref="FerryApi"/>).</summary>
    public static RemoteException Refused(int exitCode, string message) => new(exitCode, message);
}
