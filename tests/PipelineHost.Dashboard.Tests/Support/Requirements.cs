namespace PipelineHost.Dashboard.Tests.Support;

/// <summary>Where the test machine's Chromium and node are, if it has them.</summary>
public static class Requirements
{
    /// <summary>The environment variable naming the Chromium executable (<c>/usr/bin/chromium</c> in CI).</summary>
    public const string ChromiumVariable = "PIPELINEHOST_TEST_CHROMIUM";

    /// <summary>The Chromium executable, or null when the variable is unset or names no file.</summary>
    public static string? Chromium =>
        Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } path && File.Exists(path) ? path : null;

    /// <summary>The node executable on PATH, or null.</summary>
    public static string? Node =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "node.exe" : "node"))
            .FirstOrDefault(File.Exists);

    /// <summary>The repository root (the folder with PipelineHost.sln).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PipelineHost.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("PipelineHost.sln not found above the test output folder.");
    }
}

/// <summary>A fact that is skipped (not passed) when <see cref="Requirements.ChromiumVariable"/> names no Chromium.</summary>
public sealed class RequiresChromiumFactAttribute : FactAttribute
{
    public RequiresChromiumFactAttribute()
    {
        if (Requirements.Chromium is null)
        {
            Skip = $"No Chromium: set {Requirements.ChromiumVariable} to its executable (e.g. /usr/bin/chromium).";
        }
    }
}

/// <summary>A fact that is skipped (not passed) when node is not on PATH.</summary>
public sealed class RequiresNodeFactAttribute : FactAttribute
{
    public RequiresNodeFactAttribute()
    {
        if (Requirements.Node is null)
        {
            Skip = "node is not on PATH: the dashboard's logic tests run with node --test.";
        }
    }
}
