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
            var subjectRates = new List<double>();
            var baselineRates = new List<double>();

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
                baselineRates.Add(await IngestAsync(bareSocket, token, objectBytes, chunk, null));
                using var subjectSocket = await OpenAsync(subject.WebSocketUri, SubjectServer.ApiKey);
                subjectRates.Add(await IngestAsync(subjectSocket, token, objectBytes, chunk, null));
            }

            report.Add(new ReportRow(Name, $"{chunk / 1024} KiB writes", Stats.Median(subjectRates) / 1e6, Stats.Median(baselineRates) / 1e6, "MB/s", aim, true,
                "in process", null)
            {
                WhyMissed = $"each write took {chunk / Stats.Median(subjectRates) * 1000:0.0} ms against {chunk / Stats.Median(baselineRates) * 1000:0.00} ms bare, "
                    + "a fixed cost per write far above any codec figure, so the time is spent waiting, most likely (not profiled) on the forward "
                    + "to the worker process and its acknowledgement before the write is answered; profiling that hop (a timer, flush or batching delay "
                    + "in the pipe) and answering writes within a bounded window before the worker acknowledges would close it.",
            });
        }

        await control.RequestAsync("terminate", new JsonObject { ["token"] = token });
        report.Note(Name, $"One {objectBytes / (1024 * 1024)} MiB text object per round, written in 64 KiB or 4 KiB `rrext_process write` binary frames, "
            + "one write in flight (as the SDKs send), each awaiting its response. Subject: open, writes, close on PipelineHost in process through "
            + "webhook → response; the rate counts open to close (the close answer carries the response text). Baseline: the same write frames to "
            + $"the bare WebSocket responder, which answers each with the subject's own write response bytes. {Rounds} rounds, baseline then subject, "
            + "medians. The client runs in the server process (sequential writes), so no separate CPU figures.");
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

    /// <summary>The subject's own answers to open, one write and close, as sent on the wire.</summary>
    private sealed class Answers
    {
        public byte[] Open { get; set; } = [];

        public byte[] Write { get; set; } = [];

        public byte[] Close { get; set; } = [];
    }

    /// <summary>Sends one object (open, writes, close); answers bytes per second. Records the answers when asked.</summary>
    private static async Task<double> IngestAsync(ClientWebSocket socket, string token, int objectBytes, int chunk, Answers? record)
    {
        var receive = new byte[64 * 1024 * 1024];
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

        await SendAsync(socket, new RequestMessage("rrext_process")
        {
            Seq = ++seq,
            Arguments = new JsonObject { ["subcommand"] = "close", ["pipe_id"] = pipe, ["token"] = token },
        });
        var closeLength = await ReceiveResponseAsync(socket, receive);
        if (receive.AsSpan(0, Math.Min(closeLength, 200)).IndexOf("\"success\":true"u8) < 0)
            throw new InvalidOperationException("close failed: " + Encoding.UTF8.GetString(receive, 0, Math.Min(closeLength, 300)));
        record?.Close = receive[..closeLength];

        return objectBytes / watch.Elapsed.TotalSeconds;
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
