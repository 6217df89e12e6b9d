using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 8: rrext_get_task_status while 16 pipes stream data at full speed, against the same requests on an idle server.</summary>
public static class UnderLoadScenario
{
    public const string Name = "underload";
    private const int Rounds = 3;
    private const int Pipes = 16;
    private const int Chunk = 64 * 1024;
    private const int ObjectBytes = 1024 * 1024;

    public static async Task RunAsync(Report report, bool quick)
    {
        var seconds = quick ? 2.0 : 5.0;
        await using var subject = await SubjectServer.StartAsync();
        await using var client = await subject.ConnectAsync();
        var token = (await subject.StartEchoTasksAsync(client, 1, threads: Pipes))[0];
        string[] status = ["ws", "--url", subject.WebSocketUri.ToString(), "--key", SubjectServer.ApiKey, "--command", "rrext_get_task_status",
            "--token", token, "--connections", "1", "--inflight", "1", "--seconds", $"{seconds}"];

        var idle = new List<Measured>();
        var loaded = new List<Measured>();
        var streamed = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            idle.Add(await DriverProcess.RunAsync(status));

            var (streams, _) = await ControlledDriver.StartAsync("START", "stream", "--url", subject.WebSocketUri.ToString(), "--key", SubjectServer.ApiKey,
                "--token", token, "--pipes", $"{Pipes}", "--chunk", $"{Chunk}", "--object", $"{ObjectBytes}", "--seconds", $"{seconds + 2}");
            await Task.Delay(500); // the pipes are streaming
            loaded.Add(await DriverProcess.RunAsync(status));
            var result = JsonSerializer.Deserialize<StreamResult>(await streams.ReadUntilAsync("RESULT"))!;
            await streams.DisposeAsync();
            streamed.Add(result.BytesPerSecond / 1e6);
        }

        await client.RequestAsync("terminate", new JsonObject { ["token"] = token });
        RoundTripScenario.AddRows(report, Name, $"rrext_get_task_status while {Pipes} pipes stream (vs idle), 1 conn × 1 in flight", loaded, idle, 0.5, null,
            "the status requests share the two cores with the streams' own work (WebSocket frames, the forward to the worker, 16 workers' "
            + "pipelines, both drivers), and every step of a request that waits for a thread waits in the thread pool's one queue behind "
            + "the streams' steps: status and ping now run on their connection's read loop (one wait fewer); a response written by the "
            + "handler itself when its connection's queue is empty, and cheaper data-path steps, would close more of it.");
        var p99 = Stats.Median(loaded.Select(m => m.Driver.P99Us)) / 1000;
        report.Add(new ReportRow(Name, "status p99 under load", p99, Stats.Median(idle.Select(m => m.Driver.P99Us)) / 1000, "ms", 5.0, false, AbsoluteAim: true)
        {
            WhyMissed = "the p99 is queueing: the request's read (Kestrel), its answer's write (the connection's writer) and the driver's "
                + "own receive each wait for a thread behind the 16 streams' work on two shared cores. A separate, small scheduler for "
                + "control traffic, or inline socket completions in Kestrel, would close it.",
        });
        report.Add(new ReportRow(Name, "data streamed meanwhile", Stats.Median(streamed), double.NaN, "MB/s", null, true));
        report.Note(Name, $"One echo task with {Pipes} pipe slots. Loaded: a stream driver process (`--driver stream`) runs {Pipes} connections, "
            + $"each sending {ObjectBytes / 1048576} MiB text objects in {Chunk / 1024} KiB writes (open, writes one at a time, close) as fast as "
            + "they are answered; half a second after it starts, the status driver (`--driver ws`, one connection, one request in flight) "
            + $"measures for {seconds} s. Idle: the same status run with no streams. {Rounds} rounds, idle then loaded, medians; the p99 aim "
            + "is on the loaded p99 itself, the throughput aim on loaded ÷ idle. CPU columns: status driver / server process, loaded (idle).");
    }
}
