using Ferry.Connectors.Local;

namespace Ferry.Connectors.Tests.Local;

/// <summary>A staging area keeps no directory a delivered copy leaves empty; a user's folder stays.</summary>
public sealed class LocalStagingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ferry-local-staging-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task DeletingAStagedCopy_RemovesTheDirectoriesItEmptied_UpToTheBase()
    {
        var staging = LocalConnector.ForStaging(_dir);
        Put("job-1/nested/a.bin");
        Put("job-2/b.bin");
        Put("job-3/c.bin");
        Put("job-3/d.bin");

        await staging.DeleteAsync("job-1/nested/a.bin", default);
        await staging.DeleteAsync("job-3/c.bin", default);
        await staging.DeleteAsync("job-4/never-there.bin", default); // a missing file: nothing to do, no error

        Assert.Equal(["job-2", "job-2/b.bin", "job-3", "job-3/d.bin"], Entries());
        await staging.DeleteAsync("job-2/b.bin", default);
        await staging.DeleteAsync("job-3/d.bin", default);
        Assert.Empty(Entries());
        Assert.True(Directory.Exists(_dir)); // the base itself stays
    }

    [Fact]
    public async Task DeletingAFileElsewhere_LeavesItsEmptiedDirectory()
    {
        var local = new LocalConnector(_dir);
        Put("reports/2026/a.csv.part");

        await local.DeleteAsync("reports/2026/a.csv.part", default);

        Assert.Equal(["reports", "reports/2026"], Entries());
    }

    private void Put(string path)
    {
        var full = Path.Combine(_dir, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, path);
    }

    private List<string> Entries() =>
        Directory.GetFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Select(e => Path.GetRelativePath(_dir, e)).Order(StringComparer.Ordinal).ToList();
}
