using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Where objects are inside a pipeline (status <c>pipeflow.byPipe</c>, <c>apaevt_flow</c>), the status text as
/// events (<c>apaevt_status_message</c>) and component messages (<c>apaevt_sse</c>), with real workers.
/// </summary>
public class FlowEventTests
{
    private static Task<TestServer> StartServerAsync() =>
        TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) });

    private static JsonObject Process(string subcommand, string token, JsonObject? more = null)
    {
        var arguments = new JsonObject { ["subcommand"] = subcommand, ["token"] = token };
        foreach (var (key, value) in more ?? [])
        {
            arguments[key] = value?.DeepClone();
        }

        return arguments;
    }

    private static List<string> Stack(JsonObject status, string pipe) =>
        status["pipeflow"]!["byPipe"]![pipe] is JsonArray stack ? stack.Select(s => s!.GetValue<string>()).ToList() : ["<absent>"];

    [Fact]
    public async Task Pipeflow_shows_an_object_held_mid_pipeline_and_an_empty_stack_once_an_object_is_closed()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("block", match: "held")))["token"]!.GetValue<string>();

        var open = await client.RequestAsync("rrext_process", Process("open", token, new() { ["object"] = new JsonObject { ["name"] = "held.txt" }, ["mimeType"] = "text/plain" }));
        var held = open.Body!["pipe_id"]!.GetValue<int>();
        var idle = await client.WaitForStatusAsync(token, s => s["pipeflow"]!["byPipe"]![held.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not null);
        await client.SendAsync("rrext_process", Process("write", token, new() { ["pipe_id"] = held }), Encoding.UTF8.GetBytes("stuck"));
        var passing = await client.SendAsync(token, "passes", "text/plain", "passing.txt");
        var status = await client.WaitForStatusAsync(token, s => Stack(s, "0").Count == 3 && Stack(s, "1").Count == 0);

        Assert.Equal(0, held);
        Assert.Equal(["held.txt"], Stack(idle, "0"));
        Assert.True(passing.Success, passing.Message);
        Assert.Equal(["held.txt", "webhook_1", "fault_1"], Stack(status, "0"));
        Assert.Equal([], Stack(status, "1"));
        Assert.Equal(64, status["pipeflow"]!["totalPipes"]!.GetValue<int>());
        Assert.Equal(["0", "1"], status["pipeflow"]!["byPipe"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Flow_events_trace_each_object_only_for_tasks_started_with_a_trace_level()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        await using var everythingButFlow = await server.ConnectAsync();
        await client.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = new JsonArray("flow") });
        await everythingButFlow.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = 255 & ~16 });
        var untraced = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["pipelineTraceLevel"] = "none" });
        var metadata = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["pipelineTraceLevel"] = "metadata" });
        var summary = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["pipelineTraceLevel"] = "Summary" });
        var full = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["pipelineTraceLevel"] = "full" });
        var invalid = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["pipelineTraceLevel"] = "verbose" });

        // Each task's flow records travel on its worker's channel ahead of the close answer, so once a send has
        // returned, every record it caused has been delivered.
        await client.SendAsync(untraced["token"]!.GetValue<string>(), "not traced", "text/plain", "u.txt");
        await client.SendAsync(metadata["token"]!.GetValue<string>(), "names only", "text/plain", "m.txt");
        await client.SendAsync(summary["token"]!.GetValue<string>(), "with result", "text/plain", "s.txt");
        var big = new string('x', 20_000);
        var bigResult = await client.SendAsync(full["token"]!.GetValue<string>(), big, "text/plain", "f.txt");
        var flows = client.Seen.OfType<EventMessage>().Where(e => e.Event == "apaevt_flow").ToList();
        await everythingButFlow.RequestAsync("rrext_ping");
        List<JsonObject> Of(JsonObject task) => flows.Select(e => e.Body).Where(b => b["__id"]!.GetValue<string>() == task["id"]!.GetValue<string>()).ToList();
        var traced = Of(summary);

        Assert.False(invalid.Success);
        Assert.Equal("Argument 'pipelineTraceLevel' must be none, metadata, summary or full.", invalid.Message);
        Assert.Empty(Of(untraced));
        Assert.DoesNotContain(everythingButFlow.Seen, m => m is EventMessage { Event: "apaevt_flow" });
        Assert.Contains(everythingButFlow.Seen, m => m is EventMessage { Event: "apaevt_status_counts" });
        Assert.Equal(["begin", "enter", "enter", "leave", "leave", "enter", "leave", "enter", "leave", "end"], traced.Select(b => b["op"]!.GetValue<string>()));
        Assert.Equal(["s.txt"], traced[0]["pipes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["s.txt", "webhook_1", "response_1"], traced[2]["pipes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("response_1", traced[2]["trace"]!["component"]!.GetValue<string>());
        Assert.Empty(traced[^1]["pipes"]!.AsArray());
        Assert.Equal("with result\n\n", traced[^1]["trace"]!["result"]!["text"]![0]!.GetValue<string>());
        Assert.All(traced, b =>
        {
            Assert.Equal(0, b["id"]!.GetValue<int>());
            Assert.Equal(summary["projectId"]!.GetValue<string>(), b["project_id"]!.GetValue<string>());
            Assert.Equal("webhook_1", b["source"]!.GetValue<string>());
        });
        var metadataEnd = Of(metadata)[^1];
        Assert.Equal("end", metadataEnd["op"]!.GetValue<string>());
        Assert.Equal("m.txt", metadataEnd["trace"]!["object"]!.GetValue<string>());
        Assert.False(metadataEnd["trace"]!.AsObject().ContainsKey("result"));
        Assert.False(Of(metadata)[2]["trace"]!.AsObject().ContainsKey("data"));

        // At full level an entering item comes with a preview, and a result too big for a record is summarised.
        var fullRecords = Of(full);
        Assert.True(bigResult.Success, bigResult.Message);
        Assert.Equal(new string('x', 256), fullRecords[2]["trace"]!["data"]!.GetValue<string>());
        var fullEnd = fullRecords[^1]["trace"]!["result"]!;
        Assert.True(fullEnd["truncated"]!.GetValue<bool>());
        Assert.True(fullEnd["chars"]!.GetValue<int>() > 20_000);
        Assert.Equal("text", fullEnd["result_types"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_status_text_reaches_detail_subscribers_as_a_status_message()
    {
        await using var server = await StartServerAsync();
        await using var watcher = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        await watcher.RequestAsync("rrext_monitor", new() { ["projectId"] = pipeline["project_id"]!.DeepClone(), ["source"] = "webhook_1", ["types"] = new JsonArray("detail", "task") });

        var started = await watcher.ExecuteAsync(pipeline);
        await watcher.RequestAsync("terminate", new() { ["token"] = started["token"]!.DeepClone() });
        await watcher.EventAsync(e => e.Event == "apaevt_task" && e.Body["action"]!.GetValue<string>() == "end");
        var messages = watcher.Seen.OfType<EventMessage>().Where(e => e.Event == "apaevt_status_message").ToList();

        Assert.Equal(["Starting", "Loading pipeline", "Ready - accepting data", "Stopping", "Stopped"], messages.Select(m => m.Body["message"]!.GetValue<string>()));
        Assert.All(messages, m => Assert.Equal(started["id"]!.GetValue<string>(), m.Body["__id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Sse_events_from_a_component_reach_a_public_key_for_its_own_task_only()
    {
        await using var server = await StartServerAsync();
        await using var admin = await server.ConnectAsync();
        var mine = await admin.ExecuteAsync(TestPipelines.Echo(sse: true));
        var other = await admin.ExecuteAsync(TestPipelines.Echo(sse: true));
        await using var publicKey = await server.ConnectAsync(mine["publicToken"]!.GetValue<string>());
        await using var otherPublicKey = await server.ConnectAsync(other["publicToken"]!.GetValue<string>());
        await using var pipeWatcher = await server.ConnectAsync();

        var subscribed = await publicKey.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = new JsonArray("sse", "summary", "detail") });
        await otherPublicKey.RequestAsync("rrext_monitor", new() { ["types"] = new JsonArray("sse") });
        await pipeWatcher.RequestAsync("rrext_monitor", new() { ["token"] = mine["token"]!.DeepClone(), ["pipeId"] = 5, ["types"] = new JsonArray("sse") });
        var notYours = await admin.SendAsync(other["token"]!.GetValue<string>(), "not yours");
        var yours = await admin.SendAsync(mine["token"]!.GetValue<string>(), "yours");
        var sse = await publicKey.EventAsync(e => e.Event == "apaevt_sse");
        var othersSse = await otherPublicKey.EventAsync(e => e.Event == "apaevt_sse");
        await pipeWatcher.RequestAsync("rrext_ping");

        Assert.True(subscribed.Success, subscribed.Message);
        Assert.True(notYours.Success && yours.Success);
        Assert.Equal(mine["id"]!.GetValue<string>(), sse.Body["__id"]!.GetValue<string>());
        Assert.Equal(0, sse.Body["pipe_id"]!.GetValue<int>());
        Assert.Equal("text", sse.Body["type"]!.GetValue<string>());
        Assert.Equal("yours", sse.Body["data"]!["text"]!.GetValue<string>());
        Assert.Equal("not yours", othersSse.Body["data"]!["text"]!.GetValue<string>());
        Assert.All(publicKey.Seen.OfType<EventMessage>(), e =>
        {
            Assert.Equal("apaevt_sse", e.Event);
            Assert.Equal(mine["id"]!.GetValue<string>(), e.Body["__id"]!.GetValue<string>());
        });
        Assert.Empty(pipeWatcher.Seen.OfType<EventMessage>());
    }
}
