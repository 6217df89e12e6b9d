using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>Waits for a condition (never for a time): polls it until true, failing after the hang guard.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }
}

/// <summary>The file descriptors this process holds, by what they point at (Linux <c>/proc/self/fd</c>).</summary>
public static class OpenFiles
{
    public static bool Supported => Directory.Exists("/proc/self/fd");

    /// <summary>Descriptors open on files under <paramref name="folder"/>.</summary>
    public static int Under(string folder)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(folder, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return count;
    }

    /// <summary>Every descriptor of the process.</summary>
    public static int Total() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
}

/// <summary>A theory that needs Linux's <c>/proc/self/fd</c>; skipped (not passed) elsewhere.</summary>
public sealed class ProcFdTheoryAttribute : TheoryAttribute
{
    public ProcFdTheoryAttribute()
    {
        if (!OpenFiles.Supported)
        {
            Skip = "needs /proc/self/fd (Linux)";
        }
    }
}

/// <summary>A fact that needs Linux's <c>/proc/self/fd</c>; skipped (not passed) elsewhere.</summary>
public sealed class ProcFdFactAttribute : FactAttribute
{
    public ProcFdFactAttribute()
    {
        if (!OpenFiles.Supported)
        {
            Skip = "needs /proc/self/fd (Linux)";
        }
    }
}
