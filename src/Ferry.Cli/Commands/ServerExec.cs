using System.Runtime.InteropServices;

namespace Ferry.Cli.Commands;

/// <summary>
/// Replaces this process with `ferry-server` (execv): the server gets this process's id, standard
/// streams, environment and signals directly, and its exit code is the command's. Linux only, as
/// Ferry is.
/// </summary>
internal static partial class ServerExec
{
    public const string ServerName = "ferry-server";

    /// <summary>Returns only when the server could not be started: the exit code, after saying why on <paramref name="error"/>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter error)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, ServerName);
        if (!File.Exists(executable))
        {
            error.WriteLine($"ferry serve: {ServerName} is not installed beside ferry (looked in {AppContext.BaseDirectory}). " +
                "Publishing Ferry.Cli installs both (see the README), or run the server from the source tree: dotnet run --project src/Ferry.Server -c Release");
            return 2;
        }

        Console.Out.Flush();
        error.Flush();
        _ = Execv(executable, [executable, .. args, null]);
        error.WriteLine($"ferry serve: cannot start {executable}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return 1;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
