using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace PipelineHost.Benchmarks.Driver;

/// <summary>Latency samples of one probe state change: every subscriber's first arrival, as Stopwatch ticks.</summary>
public sealed record Arrivals(int Cycle, int State, List<long> Ticks);

/// <summary>What a fan-out driver measured over its counting windows.</summary>
public sealed record FanOutResult(List<double> EventsPerSecond, List<Arrivals> Arrivals, double CpuSeconds, double Seconds);

/// <summary>
/// `--driver fanout`: holds `connections` WebSockets (authenticated and subscribed to every task's SUMMARY when a
/// key is given) and reads every event on them. Commands on stdin, one per line: `count` opens a counting window,
/// `stop` closes it (prints `COUNTED {events/s}`), `subscribe` / `unsubscribe` set or clear the subscription on
/// every connection, `quit` ends with `RESULT {json}`. Frames holding `"project_id":"fanout-probe-<cycle>-` are
/// latency probes: each connection's first arrival per (cycle, state) is recorded.
/// </summary>
public static class FanOutDriver
{
    private static readonly byte[] ProbeMarker = "\"project_id\":\"fanout-probe-"u8.ToArray();
    private static readonly byte[] StateMarker = "\"state\":"u8.ToArray();

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        var url = new Uri(options["url"]);
        options.TryGetValue("key", out var key);
        var count = int.Parse(options["connections"]);
        IdleDriver.EnsureFileLimit(count + 256);
        var sockets = await LoadDriver.ConnectManyAsync(url, key, subscribe: key is not null, count);

        var counting = 0;
        long events = 0;
        var firsts = new ConcurrentDictionary<(int Cycle, int State, int Connection), long>();
        var readers = sockets.Select((socket, index) => Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var length = await LoadDriver.ReadMessageAsync(socket, buffer);
                    if (length < 0)
                        return;
                    var arrived = Stopwatch.GetTimestamp();
                    var frame = buffer.AsSpan(0, length);
                    if (frame[..Math.Min(length, 32)].IndexOf("\"event\""u8) < 0)
                        continue; // a response (to subscribe and unsubscribe)
                    if (Volatile.Read(ref counting) == 1)
                        Interlocked.Increment(ref events);
                    if (TryReadProbe(frame, out var cycle, out var state))
                        firsts.TryAdd((cycle, state, index), arrived);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        })).ToArray();

        Console.WriteLine("READY");
        var me = Process.GetCurrentProcess();
        var cpuStart = me.TotalProcessorTime;
        var rates = new List<double>();
        var window = new Stopwatch();
        long countedFrom = 0;
        var measured = TimeSpan.Zero;
        while (Console.ReadLine() is { } command && command != "quit")
        {
            switch (command)
            {
                case "count":
                    countedFrom = Interlocked.Read(ref events);
                    window.Restart();
                    Volatile.Write(ref counting, 1);
                    break;
                case "stop":
                    Volatile.Write(ref counting, 0);
                    window.Stop();
                    measured += window.Elapsed;
                    var rate = (Interlocked.Read(ref events) - countedFrom) / window.Elapsed.TotalSeconds;
                    rates.Add(rate);
                    Console.WriteLine($"COUNTED {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                    break;
                case "subscribe" or "unsubscribe":
                    var types = command == "subscribe" ? "[\"SUMMARY\"]" : "0";
                    await Task.WhenAll(sockets.Select(s => s.SendAsync(System.Text.Encoding.UTF8.GetBytes(
                        "{\"type\":\"request\",\"seq\":2,\"command\":\"rrext_monitor\",\"arguments\":{\"token\":\"*\",\"types\":" + types + "}}"),
                        WebSocketMessageType.Text, true, CancellationToken.None)));
                    Console.WriteLine("DONE");
                    break;
            }
        }

        me.Refresh();
        var cpu = (me.TotalProcessorTime - cpuStart).TotalSeconds;
        foreach (var socket in sockets)
            socket.Abort();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(20));
        var arrivals = firsts.GroupBy(f => (f.Key.Cycle, f.Key.State))
            .Select(g => new Arrivals(g.Key.Cycle, g.Key.State, g.Select(x => x.Value).ToList()))
            .ToList();
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new FanOutResult(rates, arrivals, cpu, measured.TotalSeconds)));
        return 0;
    }

    /// <summary>Finds the probe's cycle (in its project id) and the status's state.</summary>
    private static bool TryReadProbe(ReadOnlySpan<byte> frame, out int cycle, out int state)
    {
        cycle = state = 0;
        var at = frame.IndexOf(ProbeMarker);
        if (at < 0 || !Utf8Parser.TryParse(frame[(at + ProbeMarker.Length)..], out cycle, out _))
            return false;
        at = frame.IndexOf(StateMarker);
        return at >= 0 && Utf8Parser.TryParse(frame[(at + StateMarker.Length)..], out state, out _);
    }
}
