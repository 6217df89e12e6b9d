using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PipelineHost.Benchmarks.Driver;

/// <summary>What a stream driver moved.</summary>
public sealed record StreamResult(long Bytes, long Objects, double Seconds, double CpuSeconds)
{
    public double BytesPerSecond => Bytes / Seconds;
}

/// <summary>
/// `--driver stream`: `pipes` connections each sending objects of `object` bytes in `chunk`-byte writes (open,
/// writes one at a time, close) to the task `token` as fast as the server takes them, for `seconds`. Prints
/// `START` when it begins and `RESULT {json}` at the end.
/// </summary>
public static class StreamDriver
{
    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        var url = new Uri(options["url"]);
        var key = options["key"];
        var token = options["token"];
        var pipes = int.Parse(options["pipes"]);
        var chunk = int.Parse(options["chunk"]);
        var objectBytes = int.Parse(options["object"]);
        var seconds = double.Parse(options["seconds"], System.Globalization.CultureInfo.InvariantCulture);
        var sockets = await LoadDriver.ConnectManyAsync(url, key, subscribe: false, pipes);
        var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet\n", chunk / 27 + 1)))[..chunk];

        Console.WriteLine("START");
        var me = Process.GetCurrentProcess();
        var cpuStart = me.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        long bytes = 0, objects = 0;
        await Task.WhenAll(sockets.Select(async socket =>
        {
            var buffer = new byte[(2 * objectBytes) + (1 << 20)];
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                var open = await RequestAsync(socket, buffer, "{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_process\",\"arguments\":{\"subcommand\":\"open\",\"object\":{\"size\":"
                    + objectBytes + "},\"mimeType\":\"text/plain\",\"token\":\"" + token + "\"}}");
                var pipe = JsonDocument.Parse(open).RootElement.GetProperty("body").GetProperty("pipe_id").GetInt32();
                var header = Encoding.UTF8.GetBytes("{\"type\":\"request\",\"seq\":2,\"command\":\"rrext_process\",\"arguments\":{\"subcommand\":\"write\",\"pipe_id\":"
                    + pipe + ",\"token\":\"" + token + "\"}}\n");
                var frame = new byte[header.Length + chunk];
                header.CopyTo(frame, 0);
                payload.CopyTo(frame, header.Length);
                for (var sent = 0; sent < objectBytes; sent += chunk)
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
                    await ReadResponseAsync(socket, buffer);
                    Interlocked.Add(ref bytes, chunk);
                }

                await RequestAsync(socket, buffer, "{\"type\":\"request\",\"seq\":3,\"command\":\"rrext_process\",\"arguments\":{\"subcommand\":\"close\",\"pipe_id\":"
                    + pipe + ",\"token\":\"" + token + "\"}}");
                Interlocked.Increment(ref objects);
            }
        }));

        var elapsed = watch.Elapsed.TotalSeconds;
        me.Refresh();
        foreach (var socket in sockets)
            socket.Abort();
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new StreamResult(bytes, objects, elapsed, (me.TotalProcessorTime - cpuStart).TotalSeconds)));
        return 0;
    }

    private static async Task<byte[]> RequestAsync(ClientWebSocket socket, byte[] buffer, string request)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, CancellationToken.None);
        return buffer[..await ReadResponseAsync(socket, buffer)];
    }

    private static async Task<int> ReadResponseAsync(ClientWebSocket socket, byte[] buffer)
    {
        while (true)
        {
            var length = await LoadDriver.ReadMessageAsync(socket, buffer);
            if (length < 0)
                throw new InvalidOperationException("socket closed");
            if (buffer.AsSpan(0, Math.Min(length, 32)).IndexOf("\"response\""u8) < 0)
                continue;
            if (buffer.AsSpan(0, Math.Min(length, 256)).IndexOf("\"success\":true"u8) < 0)
                throw new InvalidOperationException("request failed: " + Encoding.UTF8.GetString(buffer, 0, Math.Min(length, 300)));
            return length;
        }
    }
}
