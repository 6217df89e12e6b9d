using System.Diagnostics;

namespace PipelineHost.Benchmarks.Baselines;

/// <summary>Starts bench/MinimalReady (built next to this exe) and waits for its "ready" line.</summary>
public static class MinimalReadyProcess
{
    public static Process Start()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "MinimalReady.exe" : "MinimalReady");
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (File.Exists(apphost))
        {
            info.FileName = apphost;
        }
        else
        {
            info.FileName = "dotnet";
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MinimalReady.dll"));
        }

        var process = Process.Start(info)!;
        if (process.StandardOutput.ReadLine() != "ready")
            throw new InvalidOperationException("MinimalReady did not say ready.");
        return process;
    }

    public static void Stop(Process process)
    {
        process.StandardInput.Close(); // it exits when stdin closes
        if (!process.WaitForExit(10_000))
            process.Kill();
        process.Dispose();
    }
}
