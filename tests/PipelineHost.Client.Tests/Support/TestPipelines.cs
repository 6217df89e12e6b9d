using System.Text.Json.Nodes;

namespace PipelineHost.Client.Tests.Support;

/// <summary>Pipelines the tests run, written as clients send them.</summary>
public static class TestPipelines
{
    /// <summary>The examples folder copied next to the test assembly.</summary>
    public static string Example(string fileName) => Path.Combine(AppContext.BaseDirectory, "examples", fileName);

    /// <summary>RocketRide's echo pipeline: webhook → response on the text lane.</summary>
    public static JsonObject Echo(string? projectId = null) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject
            {
                ["id"] = "response_1",
                ["provider"] = "response",
                ["config"] = new JsonObject(),
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
            }),
        ["source"] = "webhook_1",
        ["project_id"] = projectId ?? Guid.NewGuid().ToString(),
    };

    /// <summary>A batch pipeline that ends by itself: five synthetic objects into the null sink.</summary>
    public static JsonObject SyntheticBatch(int count = 5) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "src",
                ["provider"] = "synthetic",
                ["config"] = new JsonObject { ["mode"] = "Source", ["count"] = count, ["size"] = 100 },
            },
            new JsonObject
            {
                ["id"] = "out",
                ["provider"] = "null",
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "src" }),
            }),
    };

    /// <summary>The echo pipeline with an unknown provider in the middle.</summary>
    public static JsonObject WithUnknownProvider()
    {
        var pipeline = Echo();
        pipeline["components"]![1]!["provider"] = "nonexistent_provider";
        return pipeline;
    }

    /// <summary>Writes <paramref name="pipeline"/> to a temporary <c>.pipe.json</c> file.</summary>
    public static string WriteTempFile(JsonObject pipeline, string name = "test")
    {
        var directory = Path.Combine(Path.GetTempPath(), "pipelinehost-client-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".pipe.json");
        File.WriteAllText(path, pipeline.ToJsonString());
        return path;
    }
}
