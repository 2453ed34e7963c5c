namespace Ferry.TestRig;

/// <summary>Locates the repository (the folder holding Ferry.slnx) from a test's output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Rig(string name) => Path.Combine(Root, "rig", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ferry.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Ferry.slnx not found above {AppContext.BaseDirectory}");
    }
}
