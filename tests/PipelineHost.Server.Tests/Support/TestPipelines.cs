using System.Text.Json.Nodes;

namespace PipelineHost.Server.Tests.Support;

/// <summary>Pipelines the tests run, written as clients send them.</summary>
public static class TestPipelines
{
    /// <summary>RocketRide's echo pipeline: webhook → response on the text lane (pushing SSE text events when <paramref name="sse"/>).</summary>
    public static JsonObject Echo(string? projectId = null, bool sse = false) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject
            {
                ["id"] = "response_1",
                ["provider"] = "response",
                ["config"] = sse ? new JsonObject { ["sse"] = true } : new JsonObject(),
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
            }),
        ["source"] = "webhook_1",
        ["project_id"] = projectId ?? Guid.NewGuid().ToString(),
    };

    /// <summary>
    /// webhook → fault(mode) → response: the worker misbehaves on the first write (of objects whose name contains
    /// <paramref name="match"/>, when given).
    /// </summary>
    public static JsonObject Faulty(string mode, int exitCode = 3, string? match = null) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject
            {
                ["id"] = "fault_1",
                ["provider"] = "fault",
                ["config"] = match is null
                    ? new JsonObject { ["action"] = mode, ["exitCode"] = exitCode }
                    : new JsonObject { ["action"] = mode, ["exitCode"] = exitCode, ["match"] = match },
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
            },
            new JsonObject
            {
                ["id"] = "response_1",
                ["provider"] = "response",
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "fault_1" }),
            }),
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    /// <summary>webhook → fault(<paramref name="faultConfig"/>) → response on the text lane.</summary>
    public static JsonObject Flaky(JsonObject faultConfig) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            Component("fault_1", "fault", faultConfig, "webhook_1"),
            Component("response_1", "response", new JsonObject(), "fault_1")),
        ["source"] = "webhook_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    /// <summary>A batch pipeline that ends by itself: <paramref name="count"/> synthetic objects into the null sink.</summary>
    public static JsonObject SyntheticBatch(int count) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["mode"] = "Source", ["count"] = count, ["size"] = 64 } },
            Component("null_1", "null", new JsonObject(), "synthetic_1")),
        ["source"] = "synthetic_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    /// <summary>A component that reads the text lane of <paramref name="from"/>.</summary>
    public static JsonObject Component(string id, string provider, JsonObject config, string from) => new()
    {
        ["id"] = id,
        ["provider"] = provider,
        ["config"] = config,
        ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = from }),
    };
}
