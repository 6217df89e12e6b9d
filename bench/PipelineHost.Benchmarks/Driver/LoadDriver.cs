using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PipelineHost.Benchmarks.Driver;

/// <summary>What one driver run measured.</summary>
public sealed record DriverResult(long Count, double Seconds, double P50Us, double P99Us, double CpuSeconds)
{
    public double PerSecond => Count / Seconds;
}

/// <summary>
/// The load generator, run in its own process (`--driver ws|http …`) so its CPU is not the server's. Bounded: it
/// measures for a fixed duration after a short warm-up and then stops by itself. Prints `START` when the measured
/// window opens and `RESULT {json}` at the end.
/// </summary>
/// <remarks>
/// WebSocket: each connection keeps `inflight` identical requests outstanding; a response completes the oldest
/// outstanding request (FIFO), which is exact for one in flight and, with identical requests, keeps the latency sum
/// exact for more. HTTP: `connections` loops of GET.
/// </remarks>
public static class LoadDriver
{
    public static async Task<int> MainAsync(string[] args)
    {
        var options = Options(args);
        switch (args[0])
        {
            case "fanout": return await FanOutDriver.RunAsync(options);
            case "idle": return await IdleDriver.RunAsync(options);
            case "stream": return await StreamDriver.RunAsync(options);
        }

        var url = new Uri(options["url"]);
        var connections = int.Parse(options["connections"]);
        var seconds = double.Parse(options["seconds"], System.Globalization.CultureInfo.InvariantCulture);
        var warmup = TimeSpan.FromSeconds(Math.Max(0.3, seconds / 10));
        var measure = TimeSpan.FromSeconds(seconds);

        var clock = new Window(warmup, measure);
        var latencies = new ConcurrentBag<List<long>>();
        Task[] loops;
        if (args[0] == "ws")
        {
            var inflight = int.Parse(options["inflight"]);
            options.TryGetValue("key", out var key);
            options.TryGetValue("token", out var token);
            var sockets = new List<ClientWebSocket>();
            for (var c = 0; c < connections; c++)
                sockets.Add(await ConnectAsync(url, key));
            clock.Start();
            loops = sockets.Select(s => WebSocketLoopAsync(s, options["command"], token, inflight, clock, latencies)).ToArray();
        }
        else
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false });
            clock.Start();
            loops = Enumerable.Range(0, connections).Select(_ => HttpLoopAsync(http, url, clock, latencies)).ToArray();
            await Task.WhenAll(loops);
        }

        await Task.WhenAll(loops).WaitAsync(measure + warmup + TimeSpan.FromSeconds(30));
        var all = latencies.SelectMany(l => l).Select(t => t * 1e6 / Stopwatch.Frequency).ToList();
        var result = new DriverResult(all.Count, measure.TotalSeconds, Stats.Percentile(all, 0.5), Stats.Percentile(all, 0.99),
            ((clock.CpuAtEnd == TimeSpan.Zero ? Process.GetCurrentProcess().TotalProcessorTime : clock.CpuAtEnd) - clock.CpuAtStart).TotalSeconds);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    public static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
            options[args[i].TrimStart('-')] = args[i + 1];
        return options;
    }

    /// <summary>Opens a WebSocket and, with a key, authenticates (and optionally subscribes to every task's SUMMARY).</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri url, string? key, bool subscribe)
    {
        var socket = await ConnectAsync(url, key);
        if (subscribe)
            await RequestAsync(socket, "{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_monitor\",\"arguments\":{\"token\":\"*\",\"types\":[\"SUMMARY\"]}}");
        return socket;
    }

    /// <summary>Sends one request frame and reads until its response (events before it are skipped).</summary>
    public static async Task RequestAsync(ClientWebSocket socket, string frame)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = await ReadMessageAsync(socket, buffer);
            if (length < 0)
                throw new InvalidOperationException("socket closed");
            if (buffer.AsSpan(0, Math.Min(length, 32)).IndexOf("\"response\""u8) >= 0)
            {
                if (buffer.AsSpan(0, length).IndexOf("\"success\":true"u8) < 0)
                    throw new InvalidOperationException("request failed: " + Encoding.UTF8.GetString(buffer, 0, Math.Min(length, 300)));
                return;
            }
        }
    }

    /// <summary>Reads one whole message; keeps what fits in <paramref name="buffer"/>; -1 on close.</summary>
    public static async Task<int> ReadMessageAsync(WebSocket socket, byte[] buffer)
    {
        var length = 0;
        ValueWebSocketReceiveResult r;
        do
        {
            var room = length < buffer.Length ? buffer.AsMemory(length) : buffer.AsMemory(buffer.Length - 1024); // overflow: overwrite the tail
            r = await socket.ReceiveAsync(room, CancellationToken.None);
            if (r.MessageType == WebSocketMessageType.Close)
                return -1;
            length = Math.Min(length + r.Count, buffer.Length);
        }
        while (!r.EndOfMessage);
        return length;
    }

    /// <summary>Opens <paramref name="count"/> connections, a few at a time (the server limits unauthenticated sockets per address).</summary>
    public static async Task<ClientWebSocket[]> ConnectManyAsync(Uri url, string? key, bool subscribe, int count)
    {
        var sockets = new ClientWebSocket[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
                sockets[i] = await ConnectAsync(url, key, subscribe);
        }));
        return sockets;
    }

    /// <summary>The measured window: warm-up, then `measure` long. Records the driver's CPU across it.</summary>
    private sealed class Window(TimeSpan warmup, TimeSpan measure)
    {
        private readonly Stopwatch _watch = new();
        private int _opened;
        private int _closed;

        public TimeSpan CpuAtStart { get; private set; }

        public TimeSpan CpuAtEnd { get; private set; }

        public void Start() => _watch.Start();

        public long Now => _watch.ElapsedTicks;

        public bool Finished => _watch.Elapsed >= warmup + measure;

        /// <summary>True when a request sent at <paramref name="sentAt"/> and answered now counts.</summary>
        public bool Counts(long sentAt)
        {
            var elapsed = _watch.Elapsed;
            if (elapsed >= warmup && Interlocked.Exchange(ref _opened, 1) == 0)
            {
                CpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
                Console.WriteLine("START");
            }

            if (elapsed >= warmup + measure && Interlocked.Exchange(ref _closed, 1) == 0)
            {
                CpuAtEnd = Process.GetCurrentProcess().TotalProcessorTime;
                Console.WriteLine("STOP");
            }

            return elapsed < warmup + measure && TimeSpan.FromTicks(sentAt * TimeSpan.TicksPerSecond / Stopwatch.Frequency) >= warmup;
        }
    }

    public static async Task<ClientWebSocket> ConnectAsync(Uri url, string? key)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(url, CancellationToken.None);
        if (key is not null)
        {
            var auth = Encoding.UTF8.GetBytes("{\"type\":\"request\",\"seq\":0,\"command\":\"auth\",\"arguments\":{\"auth\":\"" + key + "\",\"clientName\":\"bench\"}}");
            await socket.SendAsync(auth, WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[64 * 1024];
            WebSocketReceiveResult r;
            do
                r = await socket.ReceiveAsync(buffer, CancellationToken.None);
            while (!r.EndOfMessage);
        }

        return socket;
    }

    private static async Task WebSocketLoopAsync(ClientWebSocket socket, string command, string? token, int inflight, Window clock, ConcurrentBag<List<long>> into)
    {
        var mine = new List<long>(1 << 16);
        into.Add(mine);
        var sentAt = new ConcurrentQueue<long>();
        var permits = new SemaphoreSlim(inflight, inflight);
        var arguments = token is null ? string.Empty : ",\"arguments\":{\"token\":\"" + token + "\"}";

        var receiver = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            var firstChunk = true;
            var isResponse = false;
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                    return;
                if (firstChunk)
                    isResponse = buffer.AsSpan(0, Math.Min(r.Count, 32)).IndexOf("\"response\""u8) >= 0;
                firstChunk = r.EndOfMessage;
                if (!r.EndOfMessage || !isResponse)
                    continue; // wait for the message's end; events are not counted
                if (!sentAt.TryDequeue(out var start))
                    continue;
                var end = clock.Now;
                if (clock.Counts(start))
                    mine.Add(end - start);
                permits.Release();
            }
        });

        long seq = 0;
        while (!clock.Finished)
        {
            await permits.WaitAsync();
            if (clock.Finished)
                break;
            var frame = Encoding.UTF8.GetBytes("{\"type\":\"request\",\"seq\":" + (++seq) + ",\"command\":\"" + command + "\"" + arguments + "}");
            sentAt.Enqueue(clock.Now);
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var drain = Stopwatch.StartNew();
        while (!sentAt.IsEmpty && drain.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(5);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await receiver.WaitAsync(TimeSpan.FromSeconds(20)); // ends when the server's close arrives
    }

    private static async Task HttpLoopAsync(HttpClient http, Uri url, Window clock, ConcurrentBag<List<long>> into)
    {
        var mine = new List<long>(1 << 16);
        into.Add(mine);
        while (!clock.Finished)
        {
            var start = clock.Now;
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead);
            _ = await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            var end = clock.Now;
            if (clock.Counts(start))
                mine.Add(end - start);
        }
    }
}
