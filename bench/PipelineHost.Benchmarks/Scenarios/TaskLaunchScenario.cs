using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 3: execute → RUNNING latency vs Process.Start of a minimal .NET program until it prints "ready".</summary>
public static class TaskLaunchScenario
{
    public const string Name = "launch";
    private const int WarmUps = 2;

    public static async Task RunAsync(Report report, bool quick)
    {
        var launches = quick ? 10 : 20;
        await using var subject = await SubjectServer.StartAsync();
        await using var client = await subject.ConnectAsync();
        var subjectMs = new List<double>();
        var baselineMs = new List<double>();
        var me = Process.GetCurrentProcess();
        var cpuBefore = Report.CpuOf(me);
        var wall = Stopwatch.StartNew();

        for (var i = 0; i < WarmUps + launches; i++)
        {
            var watch = Stopwatch.StartNew();
            var process = MinimalReadyProcess.Start();
            var baseline = watch.Elapsed.TotalMilliseconds;
            MinimalReadyProcess.Stop(process);

            watch.Restart();
            var started = await client.RequestAsync("execute", SubjectServer.EchoExecuteArguments()); // answers once the task is RUNNING
            var launched = watch.Elapsed.TotalMilliseconds;
            await client.RequestAsync("terminate", new JsonObject { ["token"] = started.Body!["token"]!.GetValue<string>() });

            if (i >= WarmUps)
            {
                baselineMs.Add(baseline);
                subjectMs.Add(launched);
            }
        }

        var serverCpu = Report.Cores(Report.CpuOf(me) - cpuBefore, wall.Elapsed);
        const string why = "most likely (not profiled) because a launch also creates the task record, validates the pipeline, starts the worker with its settings over the pipe "
            + "and waits for the worker to load the pipeline's components and report RUNNING; a worker that loads fewer assemblies "
            + "(or a pre-started worker pool) would close it.";
        report.Add(new ReportRow(Name, "execute → RUNNING p50", Stats.Median(subjectMs), Stats.Median(baselineMs), "ms", 1.15, false,
            "in process", serverCpu) { WhyMissed = why });
        report.Add(new ReportRow(Name, "execute → RUNNING p99", Stats.Percentile(subjectMs, 0.99), Stats.Percentile(baselineMs, 0.99), "ms", null, false));
        report.Note(Name, $"{launches} sequential launches after {WarmUps} warm-ups, baseline and subject alternating. Subject: `execute` of the echo "
            + "pipeline over a WebSocket to PipelineHost in process (the response comes once the task is RUNNING), then `terminate` (not timed). "
            + "Baseline: `Process.Start` of bench/MinimalReady's apphost, timed until its \"ready\" line is read. The client runs in the server "
            + "process (sequential, so it adds little); the server CPU column is this process over the whole scenario, both arms, workers excluded. "
            + "With this few launches p99 is the largest sample.");
    }
}
