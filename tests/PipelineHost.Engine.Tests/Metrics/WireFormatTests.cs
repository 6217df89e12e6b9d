using System.Text.Json.Nodes;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class WireFormatTests
{
    [Fact]
    public void Metrics_use_the_reference_snake_case_names()
    {
        var json = new TaskMetrics(1, 2, 3, 4, 5, 6, 7, 8, 9).ToJson();

        Assert.Equal(
            ["cpu_percent", "cpu_memory_mb", "gpu_memory_mb", "peak_cpu_percent", "peak_cpu_memory_mb",
             "peak_gpu_memory_mb", "avg_cpu_percent", "avg_cpu_memory_mb", "avg_gpu_memory_mb"],
            json.Select(p => p.Key));
        Assert.Equal(
            [1d, 2, 3, 4, 5, 6, 7, 8, 9],
            json.Select(p => p.Value!.GetValue<double>()));
    }

    [Fact]
    public void Tokens_use_the_reference_names_with_custom_as_an_object()
    {
        var tokens = new TaskTokens(1.5, 2, 3, 4, new Dictionary<string, double> { ["pagesProcessed"] = 35 }, 45.5);

        var json = tokens.ToJson();

        Assert.Equal(["cpu_utilization", "cpu_memory", "gpu_memory", "gpu_inference", "custom", "total"], json.Select(p => p.Key));
        Assert.Equal(1.5, json["cpu_utilization"]!.GetValue<double>());
        Assert.Equal(35, Assert.IsType<JsonObject>(json["custom"])["pagesProcessed"]!.GetValue<double>());
        Assert.Equal(45.5, json["total"]!.GetValue<double>());
        Assert.Equal(
            """{"cpu_utilization":1.5,"cpu_memory":2,"gpu_memory":3,"gpu_inference":4,"custom":{"pagesProcessed":35},"total":45.5}""",
            json.ToJsonString());
    }

    [Fact]
    public void Zero_values_are_zero()
    {
        Assert.All(TaskMetrics.Zero.ToJson(), p => Assert.Equal(0d, p.Value!.GetValue<double>()));
        Assert.Equal("""{"cpu_utilization":0,"cpu_memory":0,"gpu_memory":0,"gpu_inference":0,"custom":{},"total":0}""",
            TaskTokens.Zero.ToJson().ToJsonString());
    }
}
