using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks;

/// <summary>A server process's memory: resident (all, and anonymous only) and the managed heap, in bytes.</summary>
public sealed record MemoryReading(long RssBytes, long RssAnonBytes, long ManagedBytes);

/// <summary>
/// `--serve subject|bare-idle`: a server in a process of its own, so its memory is its own. Prints
/// `LISTENING {ws url}`, then obeys stdin: `gc` forces a full, compacting collection and prints
/// `MEM {json MemoryReading}`; `quit` (or the end of stdin) stops it.
/// </summary>
public static class ServeProcess
{
    public static async Task<int> MainAsync(string[] args)
    {
        IdleDriver.EnsureFileLimit(20_000);
        IAsyncDisposable server;
        Uri uri;
        if (args[0] == "subject")
        {
            var subject = await SubjectServer.StartAsync();
            (server, uri) = (subject, subject.WebSocketUri);
        }
        else
        {
            var bare = await BareIdleServer.StartAsync();
            (server, uri) = (bare, bare.WebSocketUri);
        }

        Console.WriteLine($"LISTENING {uri}");
        while (Console.ReadLine() is { } command && command != "quit")
        {
            if (command == "gc")
                Console.WriteLine("MEM " + System.Text.Json.JsonSerializer.Serialize(CollectAndRead()));
            else if (command == "read")
                Console.WriteLine("MEM " + System.Text.Json.JsonSerializer.Serialize(Read()));
        }

        await server.DisposeAsync();
        return 0;
    }

    /// <summary>Collects everything collectable, giving freed memory back to the system, then reads /proc/self/status.</summary>
    private static MemoryReading CollectAndRead()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return Read();
    }

    /// <summary>Reads /proc/self/status as it is, without collecting first (what an operator's `top` would show).</summary>
    private static MemoryReading Read()
    {
        long Kb(string field) => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return new MemoryReading(Kb("VmRSS"), Kb("RssAnon"), GC.GetTotalMemory(forceFullCollection: false));
    }

    /// <summary>The parent's side: starts the exe with `--serve kind` and talks to it.</summary>
    public sealed class Child : IAsyncDisposable
    {
        private readonly Process _process;

        private Child(Process process, Uri uri)
        {
            _process = process;
            WebSocketUri = uri;
        }

        public Uri WebSocketUri { get; }

        public int ProcessId => _process.Id;

        public static async Task<Child> StartAsync(string kind)
        {
            var process = Process.Start(DriverProcess.SelfStartInfo("--serve", kind))!;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
                    return new Child(process, new Uri(line["LISTENING ".Length..]));
            }

            throw new InvalidOperationException($"The {kind} server did not start.");
        }

        /// <summary>Memory after a full, compacting collection; with <paramref name="collect"/> false, as it is.</summary>
        public async Task<MemoryReading> MemoryAsync(bool collect = true)
        {
            await _process.StandardInput.WriteLineAsync(collect ? "gc" : "read");
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("MEM ", StringComparison.Ordinal))
                    return System.Text.Json.JsonSerializer.Deserialize<MemoryReading>(line["MEM ".Length..])!;
            }

            throw new InvalidOperationException("The server process ended.");
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex) when (ex is IOException or TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}

/// <summary>
/// The connection-memory baseline: a bare Kestrel WebSocket endpoint whose connections sit in a receive loop
/// with the 4 KiB buffer of the ASP.NET Core WebSocket sample, doing nothing else.
/// </summary>
public sealed class BareIdleServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareIdleServer(WebApplication app, Uri address)
    {
        _app = app;
        WebSocketUri = new UriBuilder(address) { Scheme = "ws", Path = "/task/service" }.Uri;
    }

    public Uri WebSocketUri { get; }

    public static async Task<BareIdleServer> StartAsync()
    {
        var (app, address) = await BareKestrel.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/task/service", async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[4 * 1024];
                try
                {
                    while ((await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted)).MessageType != WebSocketMessageType.Close)
                    {
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                }
            });
        });
        return new BareIdleServer(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
