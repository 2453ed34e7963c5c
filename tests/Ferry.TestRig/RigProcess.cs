using System.Diagnostics;

namespace Ferry.TestRig;

/// <summary>Runs the rig's shell scripts and reads the env file they write.</summary>
public static class RigProcess
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds} s");
        }

        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', psi.ArgumentList)} failed (exit {p.ExitCode}):\n{output}\n" +
                "The test rig needs the servers ./test.sh installs (openssh-server, radosgw, ceph-mon, ceph-osd, rclone) and root. Run ./test.sh, or sudo ./test.sh --install-only.");
        }

        return output;
    }

    public static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadAllLines(path)
            .Where(l => l.Contains('='))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);
}
