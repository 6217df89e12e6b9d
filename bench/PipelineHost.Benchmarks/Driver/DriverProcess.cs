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
    /// <summary>How to start this benchmark executable again with <paramref name="args"/>, stdin and stdout redirected.</summary>
    public static ProcessStartInfo SelfStartInfo(params string[] args)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false, FileName = self };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(typeof(DriverProcess).Assembly.Location);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        return info;
    }

    public static async Task<Measured> RunAsync(params string[] driverArgs)
    {
        using var process = Process.Start(SelfStartInfo(["--driver", .. driverArgs]))!;
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

/// <summary>A driver that stays up and takes commands on stdin (`--driver fanout|idle|stream`).</summary>
public sealed class ControlledDriver : IAsyncDisposable
{
    private readonly Process _process;

    private ControlledDriver(Process process) => _process = process;

    public int ProcessId => _process.Id;

    /// <summary>Starts the driver and waits for a line starting with <paramref name="ready"/>; answers it.</summary>
    public static async Task<(ControlledDriver Driver, string Line)> StartAsync(string ready, params string[] driverArgs)
    {
        var driver = new ControlledDriver(Process.Start(DriverProcess.SelfStartInfo(["--driver", .. driverArgs]))!);
        return (driver, await driver.ReadUntilAsync(ready));
    }

    public async Task<string> CommandAsync(string command, string answer)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await ReadUntilAsync(answer);
    }

    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Reads lines until one starts with <paramref name="prefix"/>; answers what follows the prefix.</summary>
    public async Task<string> ReadUntilAsync(string prefix)
    {
        while (await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5)) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return line[prefix.Length..].Trim();
        }

        throw new InvalidOperationException($"The driver ended before '{prefix}' (exit {(_process.HasExited ? _process.ExitCode : -1)}).");
    }

    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex) when (ex is IOException or TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}

