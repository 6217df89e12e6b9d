using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Issue 20, budgets: <c>maxTokens</c>, <c>maxCpuSeconds</c>, <c>maxMemoryMb</c> with real workers.</summary>
public class BudgetTests
{
    private static Task<TestServer> StartServerAsync() =>
        TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) });

    [Fact]
    public async Task A_task_over_its_memory_budget_is_stopped_with_exit_reason_budget_and_a_message_naming_the_limit()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();

        // Any .NET worker holds more than 1 MiB: the first sample is over the budget.
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["maxMemoryMb"] = 1 }))["token"]!.GetValue<string>();
        var final = await client.WaitForStateAsync(token, 6);

        Assert.Equal(("budget", "BUDGET_EXCEEDED"), (final["exitReason"]!.GetValue<string>(), final["statusName"]!.GetValue<string>()));
        Assert.Matches(@"^Stopped: budget maxMemoryMb exceeded \([0-9.]+ MiB of memory used, limit 1\)", final["exitMessage"]!.GetValue<string>());
        Assert.Equal(1, final["budget"]!["maxMemoryMb"]!.GetValue<double>());
        Assert.Null(final["budget"]!["maxTokens"]);
        Assert.True(final["budget"]!["used"]!["memoryMb"]!.GetValue<double>() > 1);
    }

    [Fact]
    public async Task A_task_within_its_budgets_runs_and_shows_them_and_the_pipeline_sets_defaults_the_arguments_override()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        pipeline["maxCpuSeconds"] = 3600;
        pipeline["maxTokens"] = 1;

        var token = (await client.ExecuteAsync(pipeline, new() { ["maxTokens"] = 5000 }))["token"]!.GetValue<string>();
        var status = await client.StatusAsync(token);
        var bad = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["maxCpuSeconds"] = -1 });
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/task?maxTokens=abc") { Content = new StringContent(TestPipelines.Echo().ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var badHttp = await http.SendAsync(request);

        Assert.Equal(3, status["state"]!.GetValue<int>());
        Assert.Equal((5000, 3600), (status["budget"]!["maxTokens"]!.GetValue<double>(), status["budget"]!["maxCpuSeconds"]!.GetValue<double>()));
        Assert.Null(status["budget"]!["maxMemoryMb"]);
        Assert.NotNull(status["budget"]!["used"]!["cpuSeconds"]);
        Assert.Equal((false, "Argument 'maxCpuSeconds' must be a positive number."), (bad.Success, bad.Message));
        Assert.Equal(HttpStatusCode.BadRequest, badHttp.StatusCode);
        Assert.Contains("Argument 'maxTokens' must be a positive number.", await badHttp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
