using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Ferry.TestRig;

namespace Ferry.Cli.Tests;

/// <summary>
/// `ferry serve` becomes ferry-server (installed beside ferry) in the same process: the API answers,
/// SIGTERM sent to the process started as `ferry serve` stops the server gracefully, and its exit
/// codes are the command's.
/// </summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ferry-serve-").FullName;

    [Fact]
    public async Task Serve_AnswersTheApi_AndStopsGracefullyOnSigterm()
    {
        var port = LoopbackPort.Free();
        var admin = "serve-test-admin-" + Guid.NewGuid().ToString("N");
        using var p = Start("serve", $"--Ferry:Listen=http://127.0.0.1:{port}", $"--Ferry:DataDirectory={_data}", $"--Ferry:AdminKey={admin}");
        var output = p.StandardOutput.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);

        var ready = await WaitForAsync(http, "readyz");
        var customers = await http.GetAsync("v1/customers");
        var anonymous = await new HttpClient().GetAsync($"http://127.0.0.1:{port}/v1/customers");
        Assert.Equal(0, Kill(p.Id, "TERM"));
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(HttpStatusCode.OK, customers.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains($"listening on http://127.0.0.1:{port}", await output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_data, "ferry.db")), "the embedded store lives in the data directory");
    }

    [Fact]
    public async Task Serve_WithABadSetting_ExitsWith2AndNamesIt()
    {
        using var p = Start("serve", "--Ferry:Workers=-1", $"--Ferry:DataDirectory={_data}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(2, p.ExitCode);
        Assert.Contains("FERRY__WORKERS", await stderr + await stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithoutFerryServerBeside_SaysWhereItLookedAndExitsWith2()
    {
        // The published ferry is one file: copied alone, it has no ferry-server beside it.
        var alone = Path.Combine(_data, "bin");
        Directory.CreateDirectory(alone);
        File.Copy(FerryProcess.Binary, Path.Combine(alone, "ferry"));

        var r = await FerryProcess.RunAsync(["serve", $"--Ferry:DataDirectory={_data}"], binary: Path.Combine(alone, "ferry"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"ferry-server is not installed beside ferry (looked in {alone}/)", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "ferry.db")), "nothing ran");
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static Process Start(params string[] args)
    {
        var psi = FerryProcess.StartInfo(args);
        psi.RedirectStandardInput = false;
        return Process.Start(psi)!;
    }

    private static async Task<HttpStatusCode> WaitForAsync(HttpClient http, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return (await http.GetAsync(path)).StatusCode;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
