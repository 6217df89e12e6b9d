using System.Net.Http.Headers;
using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>
/// What the request log and the metrics pipeline cost: the same server with them on (the default) and off, side by
/// side in one run, on the WebSocket status round trip and on <c>GET /task?token=</c>.
/// </summary>
public static class ObservabilityScenario
{
    public const string Name = "observability";
    private const int Rounds = 3;
    private const int HttpConnections = 16;

    private const string Why =
        "with both servers in this process and the driver beside them on 2 shared cores, round-to-round noise is a few percent; "
        + "the request log's own work (a timestamp, the diagnostic context, a level check, since routine requests log at Debug) "
        + "and the counters (no-ops for the status path) are well under that; a miss here is noise unless it repeats.";

    public static async Task RunAsync(Report report, bool quick)
    {
        var seconds = quick ? 2.0 : 5.0;

        // The production logging defaults on both (Information and up: nothing per request); only the switch differs.
        await using var on = await SubjectServer.StartAsync(o => o with { LoggingConfiguration = null });
        await using var off = await SubjectServer.StartAsync(o => o with { LoggingConfiguration = null, Telemetry = false });
        await using var onClient = await on.ConnectAsync();
        await using var offClient = await off.ConnectAsync();
        var onToken = (await onClient.RequestAsync("execute", SubjectServer.EchoExecuteArguments())).Body!["token"]!.GetValue<string>();
        var offToken = (await offClient.RequestAsync("execute", SubjectServer.EchoExecuteArguments())).Body!["token"]!.GetValue<string>();

        // Scraped as Prometheus would, but every second rather than every 15.
        using var scrapes = new CancellationTokenSource();
        var scraper = ScrapeAsync(on.Address, scrapes.Token);

        var ws = (On: new List<Measured>(), Off: new List<Measured>());
        var http = (On: new List<Measured>(), Off: new List<Measured>());
        for (var round = 0; round < Rounds; round++)
        {
            ws.Off.Add(await WsAsync(off, offToken, seconds));
            ws.On.Add(await WsAsync(on, onToken, seconds));
            http.Off.Add(await HttpAsync(off, offToken, seconds));
            http.On.Add(await HttpAsync(on, onToken, seconds));
        }

        await scrapes.CancelAsync();
        var scraped = await scraper;
        RoundTripScenario.AddRows(report, Name, "rrext_get_task_status, 1 conn × 16 in flight, request log + metrics on vs off", ws.On, ws.Off, 0.95, null, Why);
        RoundTripScenario.AddRows(report, Name, $"GET /task?token=, {HttpConnections} connections, request log + metrics on vs off", http.On, http.Off, 0.95, null, Why);
        await onClient.RequestAsync("terminate", new System.Text.Json.Nodes.JsonObject { ["token"] = onToken });
        await offClient.RequestAsync("terminate", new System.Text.Json.Nodes.JsonObject { ["token"] = offToken });
        report.Note(Name, $"Subject: PipelineHost as shipped (Serilog request log, routine requests at Debug under the Information default; the PipelineHost "
            + $"meter collected by OpenTelemetry; GET /metrics scraped every second, {scraped} scrapes in the run). Baseline: the same server built with "
            + $"`ServerOptions.Telemetry = false` (no request log middleware, no meter, no OpenTelemetry). Both in this process, one running echo task "
            + $"each; the driver process as in `roundtrip` and `http`, {seconds} s per run, {Rounds} rounds alternating off then on; medians. "
            + "The machine is shared (2 cores, other work running): read the ratio, not the absolute rates.");
    }

    private static Task<Measured> WsAsync(SubjectServer server, string token, double seconds) =>
        DriverProcess.RunAsync("ws", "--url", server.WebSocketUri.ToString(), "--key", SubjectServer.ApiKey,
            "--command", "rrext_get_task_status", "--token", token, "--connections", "1", "--inflight", "16", "--seconds", $"{seconds}");

    private static Task<Measured> HttpAsync(SubjectServer server, string token, double seconds) =>
        DriverProcess.RunAsync("http", "--url", new Uri(server.Address, $"/task?token={token}").ToString(), "--connections", $"{HttpConnections}", "--seconds", $"{seconds}");

    private static async Task<int> ScrapeAsync(Uri address, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SubjectServer.ApiKey);
        var count = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                using var response = await http.GetAsync("/metrics", cancellationToken);
                response.EnsureSuccessStatusCode();
                count++;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return count;
    }
}
