using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// The host-wide concurrency limit and its queue, <c>timeout</c> and <c>expires</c>, and the status fields that
/// describe them (<c>statusName</c>, <c>exitReason</c>, ISO times, <c>queuePosition</c>, <c>stats</c>,
/// <c>config</c>), with real workers.
/// </summary>
public partial class QueueTests
{
    private static readonly string[] NewFields = ["taskType", "statusName", "exitReason", "createdAt", "startedAt", "completedAt", "queuePosition", "stats", "retried", "maxRetry", "nextProcessAt", "lastError", "lastErrorAt", "failedItems", "nbItems", "nbRemainingItems", "retryOf", "remainingCount", "errorSummary", "outputs", "callback", "updatedAt", "lastHeartbeatAt", "version", "pendingReason", "pending", "budget", "percent", "eta", "etaConfidence", "recentRate"];

    private static Task<TestServer> StartServerAsync(int limit, ManualTimeProvider? clock = null, RecordingObserver? observer = null) =>
        TestServer.StartAsync(
            options: o => o with { StopGrace = TimeSpan.FromSeconds(3), MaxConcurrentTasks = limit },
            services: s =>
            {
                if (clock is not null)
                {
                    s.AddSingleton<TimeProvider>(clock);
                }

                if (observer is not null)
                {
                    s.AddSingleton<ITaskObserver>(observer);
                }
            });

    private static async Task<ResponseMessage> ExecuteRawAsync(DapTestClient client, JsonObject pipeline, JsonObject? extra = null)
    {
        var arguments = new JsonObject { ["pipeline"] = pipeline.DeepClone() };
        foreach (var (key, value) in extra ?? [])
        {
            arguments[key] = value?.DeepClone();
        }

        return await client.RequestAsync("execute", arguments);
    }

    /// <summary>Waits until the task (which a concurrent call may not have registered yet) is queued at <paramref name="position"/>.</summary>
    private static async Task<JsonObject> WaitForQueuedAsync(DapTestClient client, string token, int position)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var response = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
            if (response.Success && response.Body!["queuePosition"]!.GetValue<int>() == position)
            {
                return response.Body.AsObject();
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static string Token(JsonObject started) => started["token"]!.GetValue<string>();

    private static async Task<JsonObject> HttpDataAsync(TestServer server, HttpMethod method, string path, HttpContent? content = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var response = await http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(expected == response.StatusCode, body.ToJsonString());
        return body;
    }

    /// <summary>A batch pipeline that completes by itself after a few small objects.</summary>
    private static JsonObject Batch() => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["count"] = 3, ["size"] = 64 } },
            new JsonObject
            {
                ["id"] = "null_1",
                ["provider"] = "null",
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "synthetic_1" }),
            }),
        ["source"] = "synthetic_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex IsoPattern();

    [Fact]
    public async Task Tasks_beyond_the_limit_wait_in_order_and_start_as_slots_free()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();

        var first = await client.ExecuteAsync(TestPipelines.Echo());
        var second = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "queued-second" });
        var third = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "queued-third" });
        var again = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "queued-second", ["useExisting"] = true });
        var secondQueued = await client.StatusAsync("queued-second");
        var thirdQueued = await client.StatusAsync("queued-third");
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = Token(first) })).Success);
        var thirdMoved = await client.StatusAsync("queued-third");
        var secondRunning = await client.WaitForStateAsync("queued-second", 3);
        var serverStatus = await HttpDataAsync(server, HttpMethod.Get, "/status");

        Assert.Equal((false, 0), (first["queued"]!.GetValue<bool>(), first["queuePosition"]!.GetValue<int>()));
        Assert.False(first.ContainsKey("message"));
        Assert.Equal((true, 1), (second["queued"]!.GetValue<bool>(), second["queuePosition"]!.GetValue<int>()));
        Assert.Contains("Queued at position 1", second["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((true, 2), (third["queued"]!.GetValue<bool>(), third["queuePosition"]!.GetValue<int>()));
        Assert.Equal("queued-second", Token(again));
        Assert.Equal((true, 1), (again["queued"]!.GetValue<bool>(), again["queuePosition"]!.GetValue<int>()));

        Assert.Equal((0, "Queued", "PENDING", 1), (secondQueued["state"]!.GetValue<int>(), secondQueued["status"]!.GetValue<string>(), secondQueued["statusName"]!.GetValue<string>(), secondQueued["queuePosition"]!.GetValue<int>()));
        Assert.Null(secondQueued["startedAt"]);
        Assert.Equal(2, thirdQueued["queuePosition"]!.GetValue<int>());
        Assert.Equal((2, 1), (thirdQueued["stats"]!["queueDepth"]!.GetValue<int>(), thirdQueued["stats"]!["activeWorkers"]!.GetValue<int>()));

        // The slot the first task freed went to the second before terminate answered; the third moved up.
        Assert.Equal(1, thirdMoved["queuePosition"]!.GetValue<int>());
        Assert.Equal((1, 1), (thirdMoved["stats"]!["queueDepth"]!.GetValue<int>(), thirdMoved["stats"]!["activeWorkers"]!.GetValue<int>()));
        Assert.Equal(0, secondRunning["queuePosition"]!.GetValue<int>());
        Assert.Equal("IN_PROGRESS", secondRunning["statusName"]!.GetValue<string>());
        Assert.Matches(IsoPattern(), secondRunning["startedAt"]!.GetValue<string>());
        Assert.Equal((1, 1), (serverStatus["data"]!["stats"]!["queueDepth"]!.GetValue<int>(), serverStatus["data"]!["stats"]!["activeWorkers"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_queued_task_whose_position_changes_publishes_a_status_update()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();
        await using var watcher = await server.ConnectAsync();
        var first = await client.ExecuteAsync(TestPipelines.Echo());
        await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "queued-a" });
        var third = TestPipelines.Echo();
        await client.ExecuteAsync(third, new() { ["token"] = "queued-b" });
        var subscribe = await watcher.RequestAsync("rrext_monitor", new() { ["token"] = "queued-b", ["types"] = new JsonArray("SUMMARY") });
        Assert.True(subscribe.Success, subscribe.Message);

        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = Token(first) })).Success);
        var moved = await watcher.EventAsync(e => e.Event == "apaevt_status_update" && e.Body["queuePosition"]?.GetValue<int>() == 1);

        Assert.Equal(0, moved.Body["state"]!.GetValue<int>());
        Assert.Equal("Queued", moved.Body["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Execute_with_wait_blocks_until_the_queued_task_runs()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();
        await using var monitor = await server.ConnectAsync();
        var first = await client.ExecuteAsync(TestPipelines.Echo());

        var waiting = ExecuteRawAsync(client, TestPipelines.Echo(), new() { ["token"] = "waits", ["wait"] = true });
        var queued = await WaitForQueuedAsync(monitor, "waits", 1);
        var answeredWhileQueued = waiting.IsCompleted;
        Assert.True((await monitor.RequestAsync("terminate", new() { ["token"] = Token(first) })).Success);
        var response = await waiting.WaitAsync(TestTimeouts.Default);
        var running = await monitor.StatusAsync("waits");

        Assert.False(answeredWhileQueued);
        Assert.Equal(0, queued["state"]!.GetValue<int>());
        Assert.True(response.Success, response.Message);
        Assert.Equal((false, 0), (response.Body!["queued"]!.GetValue<bool>(), response.Body["queuePosition"]!.GetValue<int>()));
        Assert.Equal(3, running["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task Terminating_a_queued_task_cancels_it_without_ever_starting_a_worker()
    {
        var observer = new RecordingObserver();
        await using var server = await StartServerAsync(limit: 1, observer: observer);
        await using var client = await server.ConnectAsync();
        var first = await client.ExecuteAsync(TestPipelines.Echo());
        await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "never-runs" });

        var terminate = await client.RequestAsync("terminate", new() { ["token"] = "never-runs" });
        var final = await client.StatusAsync("never-runs");
        var stillRunning = await client.StatusAsync(Token(first));

        Assert.True(terminate.Success, terminate.Message);
        Assert.Equal((6, "cancelled", "CANCELED", "Stopped"), (final["state"]!.GetValue<int>(), final["exitReason"]!.GetValue<string>(), final["statusName"]!.GetValue<string>(), final["exitMessage"]!.GetValue<string>()));
        Assert.Null(final["startedAt"]);
        Assert.Matches(IsoPattern(), final["completedAt"]!.GetValue<string>());
        Assert.Equal(0, final["queuePosition"]!.GetValue<int>());
        Assert.Equal([6], observer.States("never-runs"));
        Assert.Equal(3, stillRunning["state"]!.GetValue<int>());
        Assert.Equal((0, 1), (stillRunning["stats"]!["queueDepth"]!.GetValue<int>(), stillRunning["stats"]!["activeWorkers"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_task_that_waits_past_its_expires_is_removed_and_ends_expired_without_a_worker()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var observer = new RecordingObserver();
        await using var server = await StartServerAsync(limit: 1, clock, observer);
        await using var client = await server.ConnectAsync();
        await client.ExecuteAsync(TestPipelines.Echo());
        await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "expires", ["expires"] = 30 });
        var fromPipeline = TestPipelines.Echo();
        fromPipeline["expires"] = 30;
        await client.ExecuteAsync(fromPipeline, new() { ["token"] = "pipeline-expires" });
        var overridden = TestPipelines.Echo();
        overridden["expires"] = 30;
        await client.ExecuteAsync(overridden, new() { ["token"] = "argument-wins", ["expires"] = 0 });

        clock.Advance(TimeSpan.FromSeconds(29));
        var before = await client.StatusAsync("expires");
        clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await client.WaitForStateAsync("expires", 6);
        var alsoExpired = await client.WaitForStateAsync("pipeline-expires", 6);
        var kept = await client.StatusAsync("argument-wins");

        Assert.Equal(0, before["state"]!.GetValue<int>());
        Assert.Equal(("expired", "EXPIRED", "Expired"), (expired["exitReason"]!.GetValue<string>(), expired["statusName"]!.GetValue<string>(), expired["status"]!.GetValue<string>()));
        Assert.Contains("(expires)", expired["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(expired["startedAt"]);
        // Ended when the expiry fell due, 30 s after it was queued (the manual clock runs each timer at its due time).
        Assert.Equal("2027-01-15T08:00:30.000Z", expired["completedAt"]!.GetValue<string>());
        Assert.Equal([6], observer.States("expires"));
        Assert.Equal("expired", alsoExpired["exitReason"]!.GetValue<string>());
        Assert.Equal((0, 1), (kept["state"]!.GetValue<int>(), kept["queuePosition"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_task_that_runs_past_its_timeout_is_stopped_and_ends_timeout()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        await using var server = await StartServerAsync(limit: 4, clock);
        await using var client = await server.ConnectAsync();
        var token = Token(await client.ExecuteAsync(TestPipelines.Echo(), new() { ["timeout"] = 5 }));
        var fromPipeline = TestPipelines.Echo();
        fromPipeline["timeout"] = 5;
        var pipelineToken = Token(await client.ExecuteAsync(fromPipeline));
        var untimed = Token(await client.ExecuteAsync(fromPipeline, new() { ["timeout"] = 0 }));

        clock.Advance(TimeSpan.FromSeconds(4));
        var before = await client.StatusAsync(token);
        clock.Advance(TimeSpan.FromSeconds(2));
        var final = await client.WaitForStateAsync(token, 6);
        var pipelineFinal = await client.WaitForStateAsync(pipelineToken, 6);
        var stillRunning = await client.StatusAsync(untimed);

        Assert.Equal(3, before["state"]!.GetValue<int>());
        Assert.Equal(("timeout", "TIMEOUT"), (final["exitReason"]!.GetValue<string>(), final["statusName"]!.GetValue<string>()));
        Assert.Equal("Stopped: ran for more than 5 s (timeout)", final["exitMessage"]!.GetValue<string>());
        Assert.Equal("timeout", pipelineFinal["exitReason"]!.GetValue<string>());
        Assert.Equal(3, stillRunning["state"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("timeout", "-1", "Argument 'timeout' must be a number of seconds from 0 to 2592000 (0 = no limit).")]
    [InlineData("timeout", "\"soon\"", "Argument 'timeout' must be a number of seconds from 0 to 2592000 (0 = no limit).")]
    [InlineData("expires", "true", "Argument 'expires' must be a number of seconds from 0 to 2592000 (0 = no limit).")]
    [InlineData("expires", "1e9", "Argument 'expires' must be a number of seconds from 0 to 2592000 (0 = no limit).")]
    public async Task A_bad_timeout_or_expires_argument_is_refused_by_name(string name, string json, string message)
    {
        await using var server = await StartServerAsync(limit: 4);
        await using var client = await server.ConnectAsync();

        var response = await ExecuteRawAsync(client, TestPipelines.Echo(), new() { [name] = JsonNode.Parse(json) });

        Assert.False(response.Success);
        Assert.Equal(message, response.Message);
        Assert.Empty(server.Services.GetRequiredService<TaskManager>().Tasks);
    }

    [Fact]
    public async Task A_bad_pipeline_field_or_query_parameter_is_refused_too()
    {
        await using var server = await StartServerAsync(limit: 4);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        pipeline["expires"] = -5;

        var response = await ExecuteRawAsync(client, pipeline);
        var overHttp = await HttpDataAsync(server, HttpMethod.Post, "/task?timeout=abc", new StringContent(TestPipelines.Echo().ToJsonString(), Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest);

        Assert.Equal("Pipeline field 'expires' must be a number of seconds from 0 to 2592000 (0 = no limit).", response.Message);
        Assert.Equal("Argument 'timeout' must be a number of seconds from 0 to 2592000 (0 = no limit).", overHttp["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_name_and_exit_reason_say_how_each_task_ended()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();

        // Queued behind a webhook task, the batch starts only when that one is stopped, then completes by itself.
        var holder = Token(await client.ExecuteAsync(TestPipelines.Echo()));
        var batch = Token(await client.ExecuteAsync(Batch()));
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = holder })).Success);
        var completed = await client.WaitForStateAsync(batch, 5, 6);
        var stopped = await client.StatusAsync(holder);
        var crashing = Token(await client.ExecuteAsync(TestPipelines.Faulty("exit", 7), new() { ["wait"] = true }));
        await client.SendAsync(crashing, "boom");
        var crashed = await client.WaitForStateAsync(crashing, 5, 6);

        Assert.Equal((5, "completed", "COMPLETED"), (completed["state"]!.GetValue<int>(), completed["exitReason"]!.GetValue<string>(), completed["statusName"]!.GetValue<string>()));
        Assert.Equal("batch", completed["taskType"]!.GetValue<string>());
        Assert.Equal(("cancelled", "CANCELED"), (stopped["exitReason"]!.GetValue<string>(), stopped["statusName"]!.GetValue<string>()));
        Assert.Equal((6, 7, "failed", "FAILED"), (crashed["state"]!.GetValue<int>(), crashed["exitCode"]!.GetValue<int>(), crashed["exitReason"]!.GetValue<string>(), crashed["statusName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Every_new_field_is_present_typed_and_in_order_over_the_websocket_and_http()
    {
        await using var server = await StartServerAsync(limit: 4);
        await using var client = await server.ConnectAsync();
        var token = Token(await client.ExecuteAsync(TestPipelines.Echo(), new() { ["ttl"] = 60, ["threads"] = 2, ["timeout"] = 3600, ["expires"] = 1.5, ["pipelineTraceLevel"] = "metadata" }));

        var running = await client.StatusAsync(token);
        var withConfig = (await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token, ["config"] = true })).Body!.AsObject();
        var overHttp = (await HttpDataAsync(server, HttpMethod.Get, $"/task?token={token}"))["data"]!.AsObject();
        var overHttpWithConfig = (await HttpDataAsync(server, HttpMethod.Get, $"/task?token={token}&config=true"))["data"]!.AsObject();
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var final = await client.StatusAsync(token);

        foreach (var status in new[] { running, overHttp })
        {
            var keys = status.Select(p => p.Key).ToList();
            Assert.Equal(NewFields, keys.Skip(keys.IndexOf("provider") + 1));
            Assert.False(status.ContainsKey("config"));
        }

        Assert.Equal("IN_PROGRESS", running["statusName"]!.GetValue<string>());
        Assert.Null(running["exitReason"]);
        Assert.Matches(IsoPattern(), running["createdAt"]!.GetValue<string>());
        Assert.Matches(IsoPattern(), running["startedAt"]!.GetValue<string>());
        Assert.Null(running["completedAt"]);
        Assert.Equal(0, running["queuePosition"]!.GetValue<int>());
        Assert.Equal(["queueDepth", "activeWorkers"], running["stats"]!.AsObject().Select(p => p.Key));
        Assert.Equal((0, 1), (running["stats"]!["queueDepth"]!.GetValue<int>(), running["stats"]!["activeWorkers"]!.GetValue<int>()));

        // startTime and createdAt are one instant, in the reference's float seconds and in ISO-8601.
        var createdAt = DateTimeOffset.Parse(running["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(running["startTime"]!.GetValue<double>(), createdAt.ToUnixTimeMilliseconds() / 1000.0, 3);

        foreach (var status in new[] { withConfig, overHttpWithConfig })
        {
            var keys = status.Select(p => p.Key).ToList();
            Assert.Equal([.. NewFields, "config"], keys.Skip(keys.IndexOf("provider") + 1));
            var config = status["config"]!.AsObject();
            Assert.Equal(["threads", "ttl", "timeout", "expires", "traceLevel", "retry"], config.Select(p => p.Key));
            Assert.Equal((2, 60.0, 3600.0, 1.5, "metadata"), (config["threads"]!.GetValue<int>(), config["ttl"]!.GetValue<double>(), config["timeout"]!.GetValue<double>(), config["expires"]!.GetValue<double>(), config["traceLevel"]!.GetValue<string>()));
        }

        Assert.Equal("cancelled", final["exitReason"]!.GetValue<string>());
        Assert.Matches(IsoPattern(), final["completedAt"]!.GetValue<string>());
        Assert.Equal((0, 0), (final["stats"]!["queueDepth"]!.GetValue<int>(), final["stats"]!["activeWorkers"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Post_task_returns_at_once_for_a_queued_task_and_waits_when_asked()
    {
        await using var server = await StartServerAsync(limit: 1);
        var pipeline = TestPipelines.Echo().ToJsonString();
        var first = (await HttpDataAsync(server, HttpMethod.Post, "/task", new StringContent(pipeline, Encoding.UTF8, "application/json")))["data"]!;
        var queued = (await HttpDataAsync(server, HttpMethod.Post, "/task?token=http-queued&expires=60", new StringContent(pipeline, Encoding.UTF8, "application/json")))["data"]!;

        var waiting = HttpDataAsync(server, HttpMethod.Post, "/task?token=http-waits&wait=true", new StringContent(pipeline, Encoding.UTF8, "application/json"));
        await using var client = await server.ConnectAsync();
        await WaitForQueuedAsync(client, "http-waits", 2);
        var answeredWhileQueued = waiting.IsCompleted;
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = first["token"]!.GetValue<string>() })).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = "http-queued" })).Success);
        var waited = (await waiting.WaitAsync(TestTimeouts.Default))["data"]!;

        Assert.False(first["queued"]!.GetValue<bool>());
        Assert.Equal((true, 1), (queued["queued"]!.GetValue<bool>(), queued["queuePosition"]!.GetValue<int>()));
        Assert.Equal(["id", "token", "publicToken", "projectId", "source", "provider", "queued", "queuePosition", "message"], queued.AsObject().Select(p => p.Key));
        Assert.False(answeredWhileQueued);
        Assert.Equal((false, 0), (waited["queued"]!.GetValue<bool>(), waited["queuePosition"]!.GetValue<int>()));
        Assert.Equal(3, (await client.StatusAsync("http-waits"))["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task Get_status_reports_the_queue_depth_and_active_workers()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();
        await client.ExecuteAsync(TestPipelines.Echo());
        await client.ExecuteAsync(TestPipelines.Echo());

        var stats = (await HttpDataAsync(server, HttpMethod.Get, "/status"))["data"]!["stats"]!.AsObject();

        Assert.Equal(["activeTasks", "connections", "queueDepth", "activeWorkers", "events"], stats.Select(p => p.Key));
        Assert.Equal((2, 1, 1), (stats["activeTasks"]!.GetValue<int>(), stats["queueDepth"]!.GetValue<int>(), stats["activeWorkers"]!.GetValue<int>()));
    }
}
