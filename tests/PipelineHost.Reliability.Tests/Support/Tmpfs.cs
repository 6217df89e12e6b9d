using System.Diagnostics;

namespace PipelineHost.Reliability.Tests;

/// <summary>A small tmpfs mounted for one test, to fill a disk for real; unmounted on dispose.</summary>
public sealed class Tmpfs : IDisposable
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    private Tmpfs(string path) => Path = path;

    /// <summary>Where it is mounted.</summary>
    public string Path { get; }

    /// <summary>Why a tmpfs cannot be mounted here (not root, no mount namespace…), or null when it can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public static Tmpfs Mount(int megabytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipelinehost-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var error = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        Assert.True(error is null, error);
        return new Tmpfs(path);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "tmpfs needs Linux";
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipelinehost-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        try
        {
            var error = Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path);
            if (error is null)
            {
                Run("umount", "-l", path);
            }

            return error is null ? null : $"cannot mount a tmpfs here: {error}";
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static string? Run(string program, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"{program} exited {process.ExitCode}: {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"{program}: {ex.Message}";
        }
    }
}

/// <summary>A fact that needs a mountable tmpfs; skipped with the reason where the machine does not allow it.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.WhyUnavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
