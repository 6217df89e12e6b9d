using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.RegularExpressions;

namespace PipelineHost.Server.Tests.Support;

/// <summary>The real server, <c>dotnet PipelineHost.Server.dll</c>, as its own process (on an OS-chosen port unless told).</summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output;

    private HostProcess(Process process, Uri address, ConcurrentQueue<string> output)
    {
        Process = process;
        Address = address;
        _output = output;
    }

    public Process Process { get; }

    public Uri Address { get; }

    /// <summary>Every line the server wrote so far, stdout and stderr.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Starts the server on <paramref name="dataDirectory"/> and waits for its banner.</summary>
    public static async Task<HostProcess> StartAsync(string dataDirectory, params string[] extraArguments)
    {
        var process = Process.Start(StartInfo(DefaultArguments(dataDirectory).Concat(extraArguments)))!;
        var banner = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                banner.TrySetException(new InvalidOperationException("The host exited before listening:\n" + string.Join('\n', output)));
                return;
            }

            output.Enqueue(e.Data);
            if (BannerPattern().Match(e.Data) is { Success: true } match)
            {
                banner.TrySetResult(new Uri(match.Groups["url"].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return new HostProcess(process, await banner.Task.WaitAsync(TestTimeouts.Default), output);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs a server that is expected not to start: its exit code and what it wrote on each stream.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunToExitAsync(IEnumerable<string> arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The arguments every test server gets: the data folder, port 0, the test key, a short stop grace.</summary>
    public static string[] DefaultArguments(string dataDirectory) =>
        ["--port", "0", "--data-dir", dataDirectory, "--api-key", TestServer.ApiKey, "--stop-grace", "3"];

    private static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PipelineHost.Server.dll"));
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("PIPELINEHOST_API_KEY");
        start.Environment.Remove("PIPELINEHOST_PORT");
        start.Environment.Remove("PIPELINEHOST_DATA_DIR");
        return start;
    }

    public async Task<DapTestClient> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(Address) { Scheme = "ws", Path = "/task/service" }.Uri, CancellationToken.None).WaitAsync(TestTimeouts.Default);
        var client = new DapTestClient(socket);
        var auth = await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });
        Assert.True(auth.Success, auth.Message);
        return client;
    }

    /// <summary>Kills the server outright (SIGKILL: no shutdown code runs) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        Process.Kill(entireProcessTree: false);
        await Process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        }

        Process.Dispose();
    }

    [GeneratedRegex(@"PipelineHost listening on (?<url>http://\S+)")]
    private static partial Regex BannerPattern();
}
