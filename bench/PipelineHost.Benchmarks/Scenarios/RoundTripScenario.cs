using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 1: WebSocket request round trips (rrext_ping, rrext_get_task_status) vs a bare Kestrel WebSocket responder.</summary>
public static class RoundTripScenario
{
    public const string Name = "roundtrip";

    private const string PingWhy =
        "the work the bare responder skips (not profiled): JsonNode decode, command table, permission check, body build, JsonNode encode and "
        + "the per-connection outbox; typed source-generated envelopes for the hot commands and a pooled encode buffer would close most of it.";

    /// <summary>Shared with the HTTP status scenario: the same status is built and encoded there.</summary>
    internal const string StatusBuildCost =
        "measured in isolation (Release, this machine), building TASK_STATUS (about 80 JSON nodes, counters copied under the task's lock, "
        + "ISO times formatted) takes about 5 µs and encoding it about 2 µs per request, a large part of the gap at these rates; ";

    private const string StatusWhy =
        StatusBuildCost + "the rest is what rrext_ping also pays (decode, dispatch, outbox). Encoding the status once per change (the task's "
        + "status version and metrics tick) and writing those bytes into each response until the next change would remove the 7 µs.";
    private const int Rounds = 3;

    public static async Task RunAsync(Report report, bool quick)
    {
        var seconds = quick ? 2.0 : 5.0;
        await using var subject = await SubjectServer.StartAsync();
        await using var client = await subject.ConnectAsync();
        var token = (await client.RequestAsync("execute", SubjectServer.EchoExecuteArguments())).Body!["token"]!.GetValue<string>();
        await using var bare = await BareWebSocketResponder.StartAsync();

        foreach (var command in new[] { "rrext_ping", "rrext_get_task_status" })
        {
            await client.RequestAsync(command, new JsonObject { ["token"] = token });
            var responseBytes = client.LastRawResponse; // the subject's own answer: the baseline sends the same bytes
            foreach (var (connections, inflight) in new[] { (1, 16), (64, 1) })
            {
                var shape = $"{connections} conn × {inflight} in flight";
                var subjectRuns = new List<Measured>();
                var baselineRuns = new List<Measured>();
                for (var round = 0; round < Rounds; round++)
                {
                    bare.Response = responseBytes;
                    baselineRuns.Add(await DriverProcess.RunAsync("ws", "--url", bare.WebSocketUri.ToString(), "--command", command,
                        "--token", token, "--connections", $"{connections}", "--inflight", $"{inflight}", "--seconds", $"{seconds}"));
                    subjectRuns.Add(await DriverProcess.RunAsync("ws", "--url", subject.WebSocketUri.ToString(), "--key", SubjectServer.ApiKey,
                        "--command", command, "--token", token, "--connections", $"{connections}", "--inflight", $"{inflight}", "--seconds", $"{seconds}"));
                }

                AddRows(report, Name, $"{command}, {shape}", subjectRuns, baselineRuns, 0.85, 1.5,
                    command == "rrext_get_task_status" ? StatusWhy : PingWhy);
            }
        }

        await client.RequestAsync("terminate", new JsonObject { ["token"] = token });
        report.Note(Name, $"A separate driver process (this exe, `--driver ws`) holds the connections and sends identical requests for {seconds} s "
            + "after a warm-up of a tenth of that; responses complete the oldest outstanding request on their connection. "
            + $"Subject: PipelineHost in process (Port 0, temp data folder, one running echo task). Baseline: bare Kestrel WebSocket that answers each "
            + $"text frame with the subject's own response bytes. {Rounds} rounds, baseline then subject; figures are medians of the rounds. "
            + "CPU columns: cores busy on average over the measured window (driver process / server process, subject runs; baseline in parentheses).");
    }

    public static void AddRows(Report report, string scenario, string metric, List<Measured> subject, List<Measured> baseline, double throughputAim, double? p99Aim, string why)
    {
        var driverCpu = $"{Stats.Median(subject.Select(m => m.DriverCores)):0.00} ({Stats.Median(baseline.Select(m => m.DriverCores)):0.00})";
        var serverCpu = $"{Stats.Median(subject.Select(m => m.ServerCores)):0.00} ({Stats.Median(baseline.Select(m => m.ServerCores)):0.00})";
        report.Add(new ReportRow(scenario, $"{metric}: throughput", Stats.Median(subject.Select(m => m.Driver.PerSecond)),
            Stats.Median(baseline.Select(m => m.Driver.PerSecond)), "req/s", throughputAim, true, driverCpu, serverCpu) { WhyMissed = why });
        report.Add(new ReportRow(scenario, $"{metric}: p50", Stats.Median(subject.Select(m => m.Driver.P50Us)),
            Stats.Median(baseline.Select(m => m.Driver.P50Us)), "µs", null, false));
        report.Add(new ReportRow(scenario, $"{metric}: p99", Stats.Median(subject.Select(m => m.Driver.P99Us)),
            Stats.Median(baseline.Select(m => m.Driver.P99Us)), "µs", p99Aim, false) { WhyMissed = why });
    }
}
