using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6: memory per idle, authenticated, subscribed WebSocket connection at 10,000 connections, against a
/// bare Kestrel holding idle WebSockets. Each server runs in a process of its own.
/// </summary>
public static class ConnectionMemoryScenario
{
    public const string Name = "connections";
    private const int Connections = 10_000;
    private const int WarmUpConnections = 200;

    public static async Task RunAsync(Report report, bool quick)
    {
        var rounds = quick ? 1 : 2;
        var subject = new List<(double Anon, double Rss, double Managed)>();
        var bare = new List<(double Anon, double Rss, double Managed)>();
        for (var round = 0; round < rounds; round++)
        {
            bare.Add(await MeasureAsync("bare-idle", null));
            subject.Add(await MeasureAsync("subject", SubjectServer.ApiKey));
        }

        const double KiB = 1024;
        report.Add(new ReportRow(Name, $"private memory per idle subscribed connection, {Connections:N0} open", Stats.Median(subject.Select(m => m.Anon)) / KiB,
            Stats.Median(bare.Select(m => m.Anon)) / KiB, "KiB", 1.3, false)
        {
            WhyMissed = "see the managed figure below: what a connection keeps beyond Kestrel's own is its session objects (outbox queue, "
                + "subscriptions, cancellation sources, the async state machines of its read and write loops).",
        });
        report.Add(new ReportRow(Name, "resident memory (VmRSS) per connection", Stats.Median(subject.Select(m => m.Rss)) / KiB,
            Stats.Median(bare.Select(m => m.Rss)) / KiB, "KiB", null, false));
        report.Add(new ReportRow(Name, "managed heap per connection", Stats.Median(subject.Select(m => m.Managed)) / KiB,
            Stats.Median(bare.Select(m => m.Managed)) / KiB, "KiB", null, false));
        report.Note(Name, $"Each server runs in a process of its own (this exe with `--serve subject|bare-idle`, server GC as the product). "
            + $"A separate driver process (`--driver idle`) opens {WarmUpConnections} connections and closes them (warm-up), then the server "
            + $"collects (full, compacting, aggressive) and reads /proc/self/status; the driver opens {Connections:N0} connections (the subject's "
            + "authenticated with an API key and subscribed to every task's SUMMARY, no task running), the server collects and reads again; "
            + "the difference divided by the count is the figure. Private memory is RssAnon (anonymous resident pages: heaps, stacks, pools), "
            + "the main figure; VmRSS adds file-backed pages. Baseline: a bare Kestrel WebSocket endpoint whose connections wait in a receive "
            + $"loop with the 4 KiB buffer of the ASP.NET Core WebSocket sample. {rounds} round(s), bare then subject, medians.");
    }

    private static async Task<(double Anon, double Rss, double Managed)> MeasureAsync(string kind, string? key)
    {
        await using var server = await ServeProcess.Child.StartAsync(kind);
        string[] common = key is null ? ["--url", server.WebSocketUri.ToString()] : ["--url", server.WebSocketUri.ToString(), "--key", key];
        var (warmUp, _) = await ControlledDriver.StartAsync("HELD", ["idle", .. common, "--connections", $"{WarmUpConnections}"]);
        await warmUp.CommandAsync("release", "RESULT");
        await warmUp.DisposeAsync();
        await Task.Delay(500); // the server notices the closes

        var before = await server.MemoryAsync();
        var (driver, held) = await ControlledDriver.StartAsync("HELD", ["idle", .. common, "--connections", $"{Connections}"]);
        var after = await server.MemoryAsync();
        await driver.CommandAsync("release", "RESULT");
        await driver.DisposeAsync();
        var count = int.Parse(held, System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  {kind}: {count} connections, RssAnon {before.RssAnonBytes / 1048576.0:0.0} → {after.RssAnonBytes / 1048576.0:0.0} MiB, "
            + $"managed {before.ManagedBytes / 1048576.0:0.0} → {after.ManagedBytes / 1048576.0:0.0} MiB");
        return ((after.RssAnonBytes - before.RssAnonBytes) / (double)count, (after.RssBytes - before.RssBytes) / (double)count,
            (after.ManagedBytes - before.ManagedBytes) / (double)count);
    }
}
