using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Metrics and billing tokens of a real worker whose pipeline burns CPU and memory.</summary>
public class MetricsEndToEndTests
{
    [Fact]
    public async Task A_busy_worker_shows_cpu_and_memory_peaks_hold_tokens_accrue_and_the_end_zeroes_current_figures_but_keeps_peaks_and_tokens()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { ExecAllowList = ["/bin/sh"] });
        await using var client = await server.ConnectAsync();
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "in", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject
                {
                    ["id"] = "burn",
                    ["provider"] = "exec",
                    // A child of the worker: its CPU and memory count towards the task.
                    ["config"] = new JsonObject
                    {
                        ["command"] = "/bin/sh",
                        ["args"] = new JsonArray("-c", "python3 -c 'b=bytearray(150*1024*1024); import time; t=time.time()\nwhile time.time()-t<2.5: pass'; cat"),
                        ["timeoutMs"] = 20000,
                    },
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "in" }),
                },
                new JsonObject { ["id"] = "out", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "burn" }) }),
        };
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "spin");
        var busy = await client.WaitForStatusAsync(token, s => s["tokens"]!["cpu_utilization"]!.GetValue<double>() > 0);
        await client.RequestAsync("terminate", new() { ["token"] = token });
        var final = await client.StatusAsync(token);

        Assert.True(result.Success, result.Message);
        var metrics = busy["metrics"]!;
        Assert.True(metrics["peak_cpu_percent"]!.GetValue<double>() > 10, metrics.ToJsonString());
        Assert.True(metrics["peak_cpu_memory_mb"]!.GetValue<double>() >= 150, metrics.ToJsonString());
        Assert.True(metrics["peak_cpu_percent"]!.GetValue<double>() >= metrics["cpu_percent"]!.GetValue<double>());
        Assert.True(busy["tokens"]!["total"]!.GetValue<double>() >= busy["tokens"]!["cpu_utilization"]!.GetValue<double>());
        Assert.All(new[] { "cpu_percent", "cpu_memory_mb", "gpu_memory_mb" }, m => Assert.Equal(0.0, final["metrics"]![m]!.GetValue<double>()));
        Assert.True(final["metrics"]!["peak_cpu_memory_mb"]!.GetValue<double>() >= metrics["peak_cpu_memory_mb"]!.GetValue<double>(), final["metrics"]!.ToJsonString());
        Assert.True(final["tokens"]!["cpu_utilization"]!.GetValue<double>() >= busy["tokens"]!["cpu_utilization"]!.GetValue<double>());
        Assert.Equal(0.0, final["metrics"]!["gpu_memory_mb"]!.GetValue<double>());
    }
}
