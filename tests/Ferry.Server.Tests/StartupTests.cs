using Ferry.Server.Tests.Support;
using Ferry.Stores.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ferry.Server.Tests;

/// <summary>`ferry serve` refusing to start, with a message saying why and exit code 2, instead of a stack trace.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task ADatabaseWrittenByANewerFerry_StopsTheStartNamingItsVersion()
    {
        await using var server = new ServerProcess();
        Directory.CreateDirectory(server.DataDirectory);
        var file = Path.Combine(server.DataDirectory, "ferry.db");
        await using (await SqliteDatabase.OpenAsync(file, default))
        {
        }

        using (var c = new SqliteConnection($"Data Source={file}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA user_version = {SqliteDatabase.SchemaVersion + 1};";
            cmd.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Equal(2, server.ExitCode);
        Assert.Contains($"written by a newer Ferry (schema version {SqliteDatabase.SchemaVersion + 1}", failed.Message);
        Assert.DoesNotContain("   at ", failed.Message); // no stack trace
    }

    [Fact]
    public async Task AnOtlpEndpointWithCredentials_StopsTheStartWithoutEchoingThem()
    {
        await using var server = new ServerProcess(new Dictionary<string, string> { ["FERRY__OTLPENDPOINT"] = "http://user:hunter2@127.0.0.1:4318" });

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Equal(2, server.ExitCode);
        Assert.Contains("FERRY__OTLPENDPOINT", failed.Message);
        Assert.DoesNotContain("hunter2", failed.Message);
    }
}
