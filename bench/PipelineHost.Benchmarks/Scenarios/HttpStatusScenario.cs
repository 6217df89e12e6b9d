using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Benchmarks.Driver;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 2: GET /task?token= requests per second vs a bare Kestrel endpoint returning the same bytes.</summary>
public static class HttpStatusScenario
{
    public const string Name = "http";
    private const int Rounds = 3;
    private const int Connections = 16;

    public static async Task RunAsync(Report report, bool quick)
    {
        var seconds = quick ? 2.0 : 5.0;
        await using var subject = await SubjectServer.StartAsync();
        await using var client = await subject.ConnectAsync();
        var token = (await client.RequestAsync("execute", SubjectServer.EchoExecuteArguments())).Body!["token"]!.GetValue<string>();
        var subjectUrl = new Uri(subject.Address, $"/task?token={token}");
        using var http = new HttpClient();
        var body = await http.GetByteArrayAsync(subjectUrl);
        await using var bare = await BareHttpEndpoint.StartAsync(body);
        var bareUrl = new Uri(bare.Address, $"/task?token={token}");

        var subjectRuns = new List<Measured>();
        var baselineRuns = new List<Measured>();
        for (var round = 0; round < Rounds; round++)
        {
            baselineRuns.Add(await DriverProcess.RunAsync("http", "--url", bareUrl.ToString(), "--connections", $"{Connections}", "--seconds", $"{seconds}"));
            subjectRuns.Add(await DriverProcess.RunAsync("http", "--url", subjectUrl.ToString(), "--connections", $"{Connections}", "--seconds", $"{seconds}"));
        }

        RoundTripScenario.AddRows(report, Name, $"GET /task?token=, {Connections} connections", subjectRuns, baselineRuns, 0.9, null,
            RoundTripScenario.StatusBuildCost + "besides, the subject resolves the tk_ credential, looks the task up and wraps the status in the "
            + "envelope on every request. Caching the encoded status between changes (status version, metrics tick) would close most of it.");
        await client.RequestAsync("terminate", new System.Text.Json.Nodes.JsonObject { ["token"] = token });
        report.Note(Name, $"A separate driver process (`--driver http`) runs {Connections} concurrent GET loops (one connection each) for {seconds} s after a "
            + $"warm-up. Subject: `GET /task?token=tk_…` (the token as its own credential) on PipelineHost in process with one running echo task; "
            + $"baseline: a bare Kestrel `GET /task` writing the subject's own response bytes ({body.Length} B). {Rounds} rounds, baseline then subject, medians.");
    }
}
