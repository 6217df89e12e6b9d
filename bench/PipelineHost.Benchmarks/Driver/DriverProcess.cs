using System.Diagnostics;
using System.Text.Json;

namespace PipelineHost.Benchmarks.Driver;

/// <summary>One measured run: the driver's result plus the CPU this (server) process used over the driver's window.</summary>
public sealed record Measured(DriverResult Driver, double ServerCpuSeconds)
{
    public double DriverCores => Driver.CpuSeconds / Driver.Seconds;

    public double ServerCores => ServerCpuSeconds / Driver.Seconds;
}

/// <summary>Re-launches this benchmark executable with the `--driver` verb and reads its result.</summary>
public static class DriverProcess
{
    public static async Task<Measured> RunAsync(params string[] driverArgs)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        info.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(typeof(DriverProcess).Assembly.Location);
        info.ArgumentList.Add("--driver");
        foreach (var a in driverArgs)
            info.ArgumentList.Add(a);

        using var process = Process.Start(info)!;
        var me = Process.GetCurrentProcess();
        TimeSpan? cpuStart = null, cpuEnd = null;
        DriverResult? result = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "START")
                cpuStart = Report.CpuOf(me);
            else if (line == "STOP")
                cpuEnd = Report.CpuOf(me);
            else if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                result = JsonSerializer.Deserialize<DriverResult>(line["RESULT ".Length..]);
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (result is null || process.ExitCode != 0)
            throw new InvalidOperationException($"The driver failed (exit {process.ExitCode}).");
        var serverCpu = (cpuEnd ?? Report.CpuOf(me)) - (cpuStart ?? TimeSpan.Zero);
        return new Measured(result, serverCpu.TotalSeconds);
    }
}
