using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 4: bytes/s through webhook → response (rrext_process open/write/close) vs bare WebSocket ingest of the same frames.</summary>
public static class DataPathScenario
{
    public const string Name = "datapath";
    private const int Rounds = 3;

    public static async Task RunAsync(Report report, bool quick)
    {
        var objectBytes = (quick ? 4 : 16) * 1024 * 1024;
        await using var subject = await SubjectServer.StartAsync();
        await using var control = await subject.ConnectAsync();
        var token = (await control.RequestAsync("execute", SubjectServer.EchoExecuteArguments())).Body!["token"]!.GetValue<string>();
        await using var bare = await BareWebSocketResponder.StartAsync();

        foreach (var (chunk, aim) in new[] { (64 * 1024, 0.85), (4 * 1024, 0.55) })
        {
            var subjectRuns = new List<Ingest>();
            var baselineRuns = new List<Ingest>();

            // A first object through the subject warms it up and records its answers, which the baseline then
            // sends back byte for byte: both arms move the same bytes both ways, the close's echoed text included.
            var answers = new Answers();
            using (var warmUp = await OpenAsync(subject.WebSocketUri, SubjectServer.ApiKey))
                await IngestAsync(warmUp, token, objectBytes, chunk, answers);
            bare.Response = answers.Write;
            bare.ByMarker = [("\"subcommand\":\"open\""u8.ToArray(), answers.Open), ("\"subcommand\":\"close\""u8.ToArray(), answers.Close)];
            for (var round = 0; round < Rounds; round++)
            {
                using var bareSocket = await OpenAsync(bare.WebSocketUri, null);
                baselineRuns.Add(await IngestAsync(bareSocket, token, objectBytes, chunk, null));
                using var subjectSocket = await OpenAsync(subject.WebSocketUri, SubjectServer.ApiKey);
                subjectRuns.Add(await IngestAsync(subjectSocket, token, objectBytes, chunk, null));
            }

            var writes = objectBytes / chunk;
            string Phases(List<Ingest> runs) => $"open {Stats.Median(runs.Select(r => r.OpenMs)):0.0} ms, {writes} writes "
                + $"{Stats.Median(runs.Select(r => r.WritesMs)):0} ms ({Stats.Median(runs.Select(r => r.WritesMs)) * 1000 / writes:0} µs each), "
                + $"close {Stats.Median(runs.Select(r => r.CloseMs)):0} ms";
            Console.WriteLine($"  {chunk / 1024} KiB: subject {Phases(subjectRuns)}; bare {Phases(baselineRuns)}; close answer {answers.Close.Length} B");
            var row = new ReportRow(Name, $"{chunk / 1024} KiB writes", Stats.Median(subjectRuns.Select(r => r.BytesPerSecond)) / 1e6,
                Stats.Median(baselineRuns.Select(r => r.BytesPerSecond)) / 1e6, "MB/s", aim, true, "in process", null)
            {
                WhyMissed = $"per object, subject: {Phases(subjectRuns)}; bare: {Phases(baselineRuns)}. " + (chunk >= 64 * 1024
                    ? "Both phases count. The close's text now stays UTF-8 from the response sink to the client (it used to be turned "
                        + "into a .NET string and back twice); what is left of the close is fresh memory for a 4 MB buffer at each hop (the "
                        + "worker's encode buffer, the host's frame buffer and the decode's copy of it, the response buffer growing to 8 MB), "
                        + "whose page faults cost about 15 ms per 4 MB copy on this machine, and 4 MB through the 256 KiB worker pipe. A "
                        + "write is a WebSocket frame decoded, a hand-off to a pool thread, a frame to the worker over its pipe and a "
                        + "hand-off to the outbox, each copying the 64 KiB; the worker, on the same two cores, copies it twice more "
                        + "(its frame decode, the text payload) before the response sink appends it (the text stays UTF-8 now: no "
                        + "string per write). Pooled or segmented large buffers for the close, and fewer copies and hand-offs per "
                        + "write, would close more of it."
                    : "At 4 KiB the fixed cost per write dominates. Measured on the host per write: decoding the JSON header 12–28 µs, "
                        + "the hand-off to a pool thread ~10 µs, the forward to the worker 40–80 µs (encode and pipe write; waiting for "
                        + "the worker's answers adds 5–30 ms per object), the outbox hand-off and send ~20 µs; the rest is the worker's "
                        + "CPU on the same two cores (frame decode, a hand-off, a copy into the text payload per write) and the client's turn. "
                        + "A typed fast path for `write` (no JsonNode), fewer hand-offs and coalescing small writes into one forward "
                        + "would close it."),
            };
            report.Add(row);
        }

        await control.RequestAsync("terminate", new JsonObject { ["token"] = token });
        report.Note(Name, $"One {objectBytes / (1024 * 1024)} MiB text object per round, written in 64 KiB or 4 KiB `rrext_process write` binary frames, "
            + "one write in flight (as the SDKs send), each awaiting its response. Subject: open, writes, close on PipelineHost in process through "
            + "webhook → response; the rate counts open to close (the close answer carries the response text, the whole object echoed back). "
            + "Baseline: the same frames to the bare WebSocket responder, which answers open, each write and close with the subject's own answers, "
            + "byte for byte (recorded from a first, warm-up object through the subject), so both arms move the same bytes both ways. "
            + $"{Rounds} rounds, baseline then subject, medians. The client runs in the server process (sequential writes), so no separate CPU figures. "
            + "Reports before 2026-11-23 14:00 UTC timed a baseline that ingested the writes only (no open or close answer, no echoed text), "
            + "so their ratios (0.08× and 0.26×) are not comparable with these; their per-write times were 2.7 ms (64 KiB) and 0.4 ms (4 KiB), "
            + "when each write waited for the worker's answer.");
    }

    private static async Task<ClientWebSocket> OpenAsync(Uri uri, string? key)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        if (key is not null)
        {
            await SendAsync(socket, new RequestMessage("auth") { Seq = 1, Arguments = new JsonObject { ["auth"] = key } });
            await ReceiveResponseAsync(socket, new byte[1024 * 1024]);
        }

        return socket;
    }

    private static byte[]? s_receive;

    /// <summary>The subject's own answers to open, one write and close, as sent on the wire.</summary>
    private sealed class Answers
    {
        public byte[] Open { get; set; } = [];

        public byte[] Write { get; set; } = [];

        public byte[] Close { get; set; } = [];
    }

    /// <summary>One object's rate and where its time went.</summary>
    private sealed record Ingest(double BytesPerSecond, double OpenMs, double WritesMs, double CloseMs);

    /// <summary>Sends one object (open, writes, close); answers its rate and phases. Records the answers when asked.</summary>
    private static async Task<Ingest> IngestAsync(ClientWebSocket socket, string token, int objectBytes, int chunk, Answers? record)
    {
        var receive = s_receive ??= new byte[64 * 1024 * 1024]; // once: a fresh 64 MiB per object would be page faults timed in both arms
        var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet\n", chunk / 27 + 1)))[..chunk];
        var seq = 10L;
        var watch = Stopwatch.StartNew();
        await SendAsync(socket, new RequestMessage("rrext_process")
        {
            Seq = ++seq,
            Arguments = new JsonObject { ["subcommand"] = "open", ["object"] = new JsonObject { ["size"] = objectBytes }, ["mimeType"] = "text/plain", ["token"] = token },
        });
        var openLength = await ReceiveResponseAsync(socket, receive);
        record?.Open = receive[..openLength];
        var pipe = ((ResponseMessage)JsonMessageCodec.Instance.Decode(receive.AsSpan(0, openLength), false)).Body!["pipe_id"]!.GetValue<int>();
        var opened = watch.Elapsed.TotalMilliseconds;

        var header = Encoding.UTF8.GetBytes($"{{\"type\":\"request\",\"seq\":0,\"command\":\"rrext_process\",\"arguments\":{{\"subcommand\":\"write\",\"pipe_id\":{pipe},\"token\":\"{token}\"}}}}\n");
        var frame = new byte[header.Length + chunk];
        header.CopyTo(frame, 0);
        payload.CopyTo(frame, header.Length);
        for (var sent = 0; sent < objectBytes; sent += chunk)
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
            var length = await ReceiveResponseAsync(socket, receive);
            if (receive.AsSpan(0, length).IndexOf("\"success\":true"u8) < 0)
                throw new InvalidOperationException("write failed: " + Encoding.UTF8.GetString(receive, 0, Math.Min(length, 300)));
            record?.Write = receive[..length];
        }

        var written = watch.Elapsed.TotalMilliseconds;
        await SendAsync(socket, new RequestMessage("rrext_process")
        {
            Seq = ++seq,
            Arguments = new JsonObject { ["subcommand"] = "close", ["pipe_id"] = pipe, ["token"] = token },
        });
        var closeLength = await ReceiveResponseAsync(socket, receive);
        if (receive.AsSpan(0, Math.Min(closeLength, 200)).IndexOf("\"success\":true"u8) < 0)
            throw new InvalidOperationException("close failed: " + Encoding.UTF8.GetString(receive, 0, Math.Min(closeLength, 300)));
        record?.Close = receive[..closeLength];

        var total = watch.Elapsed;
        return new Ingest(objectBytes / total.TotalSeconds, opened, written - opened, total.TotalMilliseconds - written);
    }

    private static async Task SendAsync(ClientWebSocket socket, RequestMessage request)
    {
        var bytes = JsonMessageCodec.Instance.EncodeToArray(request, out var binary);
        await socket.SendAsync(bytes, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
    }

    /// <summary>Reads frames until a whole response; answers its length in <paramref name="buffer"/>.</summary>
    private static async Task<int> ReceiveResponseAsync(ClientWebSocket socket, byte[] buffer)
    {
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult r;
            do
            {
                r = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                length += r.Count;
            }
            while (!r.EndOfMessage);
            if (r.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException("socket closed");
            if (buffer.AsSpan(0, Math.Min(length, 32)).IndexOf("\"response\""u8) >= 0)
                return length;
        }
    }
}
