namespace PipelineHost.Benchmarks;

/// <summary>Finds the repository (the folder holding PipelineHost.sln) from the working directory or the binaries.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PipelineHost.sln")))
                    return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the PipelineHost repository.");
    }
}
