using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>rrext_monitor, catch-up, delivery rules and SSE (issue: events and monitoring).</summary>
public class EventTests
{
    private static Task<TestServer> StartServerAsync(bool kestrel = false) =>
        TestServer.StartAsync(kestrel, o => o with { StopGrace = TimeSpan.FromSeconds(3) });

    private static bool IsStatus(EventMessage e) => e.Event == "apaevt_status_update";

    [Fact]
    public async Task A_summary_subscriber_sees_every_state_with_live_counts_without_polling()
    {
        await using var server = await StartServerAsync();
        await using var watcher = await server.ConnectAsync();
        await using var driver = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();

        var subscribe = await watcher.SendAsync("rrext_monitor", new() { ["projectId"] = projectId, ["source"] = "webhook_1", ["types"] = new JsonArray("summary") });
        var placeholder = await watcher.EventAsync(IsStatus);
        await watcher.ResponseToAsync(subscribe);
        var token = (await driver.ExecuteAsync(pipeline))["token"]!.GetValue<string>();
        await driver.SendAsync(token, "counted");
        var counted = await watcher.EventAsync(e => IsStatus(e) && e.Body["completedCount"]!.GetValue<int>() == 1);
        await driver.RequestAsync("terminate", new() { ["token"] = token });
        await watcher.EventAsync(e => IsStatus(e) && e.Body["state"]!.GetValue<int>() == 6);

        Assert.Equal(0, placeholder.Body["state"]!.GetValue<int>());
        Assert.Equal("Not running", placeholder.Body["status"]!.GetValue<string>());
        Assert.Equal($"{projectId}.webhook_1", placeholder.Body["__id"]!.GetValue<string>());
        Assert.True(counted.Body.ContainsKey("metrics"));
        var states = watcher.Seen.OfType<EventMessage>().Where(IsStatus).Select(e => e.Body["state"]!.GetValue<int>()).Distinct().ToList();
        Assert.Equal([0, 1, 2, 3, 4, 6], states);
        Assert.All(watcher.Seen.OfType<EventMessage>(), e => Assert.True(e.Body.ContainsKey("__id")));
    }

    [Fact]
    public async Task Catch_up_events_arrive_before_the_monitor_response()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var started = await client.ExecuteAsync(TestPipelines.Echo());
        var token = started["token"]!.GetValue<string>();

        var seq = await client.SendAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("SUMMARY", "Task") });
        await client.ResponseToAsync(seq);

        // A live status change may land between the subscription and its catch-up (the task is still starting), so
        // the rule checked is the one clients rely on: both catch-up events come before the response, in that order.
        var afterExecute = client.Seen.SkipWhile(m => m is not ResponseMessage { Command: "execute" }).Skip(1).ToList();
        var response = afterExecute.FindIndex(m => m is ResponseMessage { Command: "rrext_monitor" });
        var status = afterExecute.FindIndex(m => m is EventMessage { Event: "apaevt_status_update" });
        var running = afterExecute.FindIndex(m => m is EventMessage { Event: "apaevt_task" } e && e.Body["action"]?.GetValue<string>() == "running");
        Assert.InRange(status, 0, response - 1);
        Assert.InRange(running, status + 1, response - 1);
        var tasks = ((EventMessage)afterExecute[running]).Body["tasks"]!.AsArray();
        Assert.Contains(tasks, t => t!["id"]!.GetValue<string>() == started["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Task_begin_and_end_events_carry_a_top_level_id_and_the_project()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        await client.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = new JsonArray("task") });

        var started = await client.ExecuteAsync(TestPipelines.Echo());
        var begin = await client.EventAsync(e => e.Event == "apaevt_task" && e.Body["action"]!.GetValue<string>() == "begin");
        await client.RequestAsync("terminate", new() { ["token"] = started["token"]!.DeepClone() });
        var end = await client.EventAsync(e => e.Event == "apaevt_task" && e.Body["action"]!.GetValue<string>() == "end");

        Assert.Equal(started["id"]!.GetValue<string>(), begin.Id);
        Assert.Equal(begin.Id, end.Id);
        Assert.Equal(started["projectId"]!.GetValue<string>(), begin.Body["projectId"]!.GetValue<string>());
        Assert.Equal("webhook_1", end.Body["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Types_accept_names_in_any_case_masks_and_unknown_names_and_zero_unsubscribes()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("apaevt_status_upload", "Detail") });
        await client.SendAsync(token, "x");
        var detail = await client.EventAsync(e => e.Event == "apaevt_status_counts" && e.Body["completedCount"]!.GetValue<int>() == 1);
        await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = 0 });
        var before = client.Seen.Count;
        await client.SendAsync(token, "y");
        await client.RequestAsync("rrext_ping");
        var bitmask = await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = "4" });
        var bad = await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = 256 });
        var both = await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["projectId"] = "p", ["source"] = "s", ["types"] = 4 });
        var neither = await client.RequestAsync("rrext_monitor", new() { ["types"] = 4 });

        Assert.Equal(1, detail.Body["completedCount"]!.GetValue<int>());
        Assert.DoesNotContain(client.Seen.Skip(before), m => m is EventMessage { Event: "apaevt_status_counts" });
        Assert.True(bitmask.Success);
        Assert.Contains("0 to 255", bad.Message, StringComparison.Ordinal);
        Assert.Equal("You must specify either token or projectId/source, not both", both.Message);
        Assert.Equal("You must specify either token or projectId/source", neither.Message);
    }

    [Fact]
    public async Task Output_events_carry_the_workers_lines()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("exit", 4)))["token"]!.GetValue<string>();
        await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("output") });

        await client.SendAsync(token, "bye");
        var output = await client.EventAsync(e => e.Event == "output" && e.Body["output"]!.GetValue<string>().Contains("exiting with code 4", StringComparison.Ordinal));

        Assert.Equal("console", output.Body["category"]!.GetValue<string>());
        Assert.EndsWith("\n", output.Body["output"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_are_scoped_by_credential()
    {
        await using var server = await StartServerAsync();
        await using var admin = await server.ConnectAsync();
        var mine = await admin.ExecuteAsync(TestPipelines.Echo());
        var other = await admin.ExecuteAsync(TestPipelines.Echo());
        await using var owner = await server.ConnectAsync(mine["token"]!.GetValue<string>());
        await using var publicKey = await server.ConnectAsync(mine["publicToken"]!.GetValue<string>());

        await owner.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = new JsonArray("summary", "detail") });
        await publicKey.RequestAsync("rrext_monitor", new() { ["types"] = new JsonArray("summary", "detail", "task") });
        await admin.SendAsync(other["token"]!.GetValue<string>(), "not yours");
        await admin.SendAsync(mine["token"]!.GetValue<string>(), "yours");
        await owner.EventAsync(e => e.Event == "apaevt_status_counts");
        await admin.RequestAsync("rrext_ping");
        var pkPing = await publicKey.RequestAsync("rrext_ping");

        Assert.All(owner.Seen.OfType<EventMessage>(), e => Assert.Equal(mine["id"]!.GetValue<string>(), e.Body["__id"]!.GetValue<string>()));
        Assert.True(pkPing.Success);
        Assert.Empty(publicKey.Seen.OfType<EventMessage>());
    }

    [Fact]
    public async Task A_public_key_sends_data_but_cannot_read_status_stop_or_learn_the_private_token()
    {
        await using var server = await StartServerAsync();
        await using var admin = await server.ConnectAsync();
        var started = await admin.ExecuteAsync(TestPipelines.Echo());
        var token = started["token"]!.GetValue<string>();
        await using var client = await server.ConnectAsync(started["publicToken"]!.GetValue<string>());

        var auth = client.Seen.OfType<ResponseMessage>().First();
        var sent = await client.SendAsync(started["publicToken"]!.GetValue<string>(), "via pk");
        var status = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
        var terminate = await client.RequestAsync("terminate", new() { ["token"] = token });
        var lookup = await client.RequestAsync("rrext_get_token", new() { ["projectId"] = started["projectId"]!.DeepClone(), ["source"] = "webhook_1" });
        var execute = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo() });

        Assert.True(sent.Success, sent.Message);
        Assert.Equal("via pk\n\n", sent.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal("Permission 'task.monitor' denied", status.Message);
        Assert.Equal("Permission 'task.control' denied", terminate.Message);
        Assert.False(lookup.Success);
        Assert.False(execute.Success);
        Assert.DoesNotContain(token, client.RawTextFrames.Aggregate(string.Empty, string.Concat), StringComparison.Ordinal);
        Assert.NotNull(auth);
    }

    [Fact]
    public async Task A_task_token_controls_its_own_task_only()
    {
        await using var server = await StartServerAsync();
        await using var admin = await server.ConnectAsync();
        var mine = await admin.ExecuteAsync(TestPipelines.Echo());
        var other = await admin.ExecuteAsync(TestPipelines.Echo());
        await using var client = await server.ConnectAsync(mine["token"]!.GetValue<string>());

        var status = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = mine["token"]!.DeepClone() });
        var otherStatus = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = other["token"]!.DeepClone() });
        var terminate = await client.RequestAsync("terminate", []);

        Assert.True(status.Success);
        Assert.Equal(mine["id"]!.GetValue<string>(), otherStatus.Body!["id"]!.GetValue<string>());
        Assert.True(terminate.Success);
        Assert.Equal(3, (await admin.StatusAsync(other["token"]!.GetValue<string>()))["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task Server_sent_events_stream_a_tasks_status_until_it_ends()
    {
        await using var server = await StartServerAsync(kestrel: true);
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        using var http = server.CreateHttpClient();

        var unauthorized = await http.GetAsync("/task/events?token=nope");
        using var response = await http.GetAsync($"/task/events?token={token}", HttpCompletionOption.ResponseHeadersRead);
        var reading = new StreamReader(await response.Content.ReadAsStreamAsync()).ReadToEndAsync();
        await client.SendAsync(token, "over sse");
        await client.RequestAsync("terminate", new() { ["token"] = token });
        var stream = await reading.WaitAsync(TestTimeouts.Default);

        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(f => !f.StartsWith(':')).ToList();
        Assert.StartsWith("id: ", events[0], StringComparison.Ordinal);
        Assert.Contains("event: apaevt_status_update", events[0], StringComparison.Ordinal);
        var last = events.Last(e => e.Contains("apaevt_status_update", StringComparison.Ordinal));
        var data = JsonNode.Parse(last.Split('\n').First(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!;
        Assert.Equal(6, data["state"]!.GetValue<int>());
        Assert.Contains(events, e => e.Contains("event: apaevt_task", StringComparison.Ordinal) && e.Contains("\"end\"", StringComparison.Ordinal));
    }
}

/// <summary>The outbox's bounds, without any socket (issue: a stalled subscriber harms nobody).</summary>
public class ConnectionOutboxTests
{
    [Fact]
    public void Queued_status_updates_of_one_task_coalesce_to_the_newest()
    {
        var outbox = new ConnectionOutbox(maxQueuedEvents: 10, _ => throw new InvalidOperationException("must not overflow"));

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(outbox.Send(new EventMessage("apaevt_status_update", new JsonObject { ["n"] = i }), "status:t1"));
        }

        Assert.Equal(999, outbox.CoalescedCount);
    }

    [Fact]
    public async Task A_coalesced_status_is_sent_after_the_events_queued_before_it_so_a_tasks_seq_order_holds()
    {
        var outbox = new ConnectionOutbox(maxQueuedEvents: 10, _ => throw new InvalidOperationException("must not overflow"));
        var sent = new List<ProtocolMessage>();
        outbox.Send(new EventMessage("apaevt_status_update", new JsonObject { ["__seq"] = 1 }), "status:t1");
        outbox.Send(new EventMessage("output", new JsonObject { ["__seq"] = 2 }));
        outbox.Send(new EventMessage("apaevt_status_update", new JsonObject { ["__seq"] = 3 }), "status:t1");
        outbox.Send(new EventMessage("apaevt_status_update", new JsonObject { ["__seq"] = 4 }), "status:t1");
        outbox.Close(WebSocketCloseStatus.NormalClosure, "done");

        await outbox.RunAsync((m, _) => { sent.Add(m); return ValueTask.CompletedTask; }, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal([2, 4], sent.OfType<EventMessage>().Select(e => e.Body["__seq"]!.GetValue<int>()));
        Assert.Equal(2, outbox.CoalescedCount);
    }

    [Fact]
    public void A_reader_hopelessly_behind_is_cut_off_with_a_reason_and_responses_still_queue()
    {
        string? reason = null;
        var outbox = new ConnectionOutbox(maxQueuedEvents: 3, r => reason = r);

        var accepted = Enumerable.Range(0, 5).Select(i => outbox.Send(new EventMessage("output", new JsonObject { ["n"] = i }))).ToList();
        outbox.Send(new ResponseMessage(1, "rrext_ping", true));

        Assert.Equal([true, true, true, false, false], accepted);
        Assert.Contains("send queue overflow", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seq_is_assigned_on_the_wire_in_order_for_responses_and_events_alike()
    {
        var outbox = new ConnectionOutbox(10, _ => { });
        var sent = new List<ProtocolMessage>();
        outbox.Send(new ResponseMessage(5, "a", true));
        outbox.Send(new EventMessage("e", []));
        outbox.Send(new ResponseMessage(6, "b", true));
        outbox.Close(WebSocketCloseStatus.NormalClosure, "done");

        await outbox.RunAsync((m, _) => { sent.Add(m); return ValueTask.CompletedTask; }, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal([1L, 2L, 3L], sent.Select(m => m.Seq));
    }

    [Fact]
    public async Task The_servers_stats_count_coalesced_and_sent_events_but_not_responses()
    {
        var stats = new EventDeliveryStats();
        var outbox = new ConnectionOutbox(10, _ => { }, stats);
        for (var i = 0; i < 5; i++)
        {
            outbox.Send(new EventMessage("apaevt_status_update", new JsonObject { ["n"] = i }), "status:t1");
        }

        outbox.Send(new EventMessage("output", []));
        outbox.Send(new ResponseMessage(1, "rrext_ping", true));
        outbox.Close(WebSocketCloseStatus.NormalClosure, "done");
        await outbox.RunAsync((_, _) => ValueTask.CompletedTask, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal((4L, 2L, 0L), (stats.Coalesced, stats.Sent, stats.Dropped));
    }
}
