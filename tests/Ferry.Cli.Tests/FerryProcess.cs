using System.Diagnostics;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary>Runs the built ferry command as a user would, capturing its output and exit code.</summary>
internal static class FerryProcess
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    private static readonly Lazy<string> PublishedBinary = new(() =>
        Environment.GetEnvironmentVariable("FERRY_CLI") is { Length: > 0 } path ? path : Publish(Path.Combine(AppContext.BaseDirectory, "published")));

    /// <summary>
    /// The ferry under test, as users install it: the Native AOT executable published from
    /// src/Ferry.Cli, with ferry-server beside it. test.sh publishes it before the tests and names
    /// it in FERRY_CLI; a plain `dotnet test` publishes it here, once.
    /// </summary>
    public static string Binary => PublishedBinary.Value;

    /// <summary>How to start <paramref name="binary"/> (default <see cref="Binary"/>) with <paramref name="args"/>.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? binary = null)
    {
        var psi = new ProcessStartInfo(binary ?? Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    public static async Task<Outcome> RunAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, string? binary = null)
    {
        var psi = StartInfo(args, binary);
        psi.Environment.Remove("FERRY_SFTP_PASSWORD");
        psi.Environment.Remove("AWS_CA_BUNDLE");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        return new Outcome(p.ExitCode, await stdout, await stderr);
    }

    private static string Publish(string directory)
    {
        var psi = new ProcessStartInfo("dotnet", ["publish", Path.Combine(RepoPaths.Root, "src", "Ferry.Cli"), "-c", "Release", "-r", "linux-x64", "-o", directory, "--nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0
            ? Path.Combine(directory, "ferry")
            : throw new InvalidOperationException($"publishing ferry for the tests failed ({psi.FileName} {string.Join(' ', psi.ArgumentList)}):\n{stdout}{stderr.Result}");
    }
}
