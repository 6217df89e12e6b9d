using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Tasks with real worker processes, driven as the RocketRide SDKs drive them.</summary>
public partial class TaskLifecycleTests
{
    private static Task<TestServer> StartServerAsync(RecordingObserver? observer = null) =>
        TestServer.StartAsync(
            options: o => o with { StopGrace = TimeSpan.FromSeconds(3) },
            services: s =>
            {
                if (observer is not null)
                {
                    s.AddSingleton<ITaskObserver>(observer);
                }
            });

    [Fact]
    public async Task Execute_returns_random_credentials_once_the_task_is_running_and_every_state_is_passed_in_order()
    {
        var observer = new RecordingObserver();
        await using var server = await StartServerAsync(observer);
        await using var client = await server.ConnectAsync();

        var started = await client.ExecuteAsync(TestPipelines.Echo("4f9b1b7e-0000-4000-8000-000000000001"), new() { ["name"] = "echo" });
        var token = started["token"]!.GetValue<string>();
        var running = await client.StatusAsync(token);
        var terminate = await client.RequestAsync("terminate", new() { ["token"] = token });
        var final = await client.StatusAsync(token);

        Assert.Matches(TokenPattern(), token);
        Assert.Matches(PublicKeyPattern(), started["publicToken"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{8}\\.webhook_1$", started["id"]!.GetValue<string>());
        Assert.NotEqual($"{token[3..11]}.webhook_1", started["id"]!.GetValue<string>()); // random, not the token's prefix
        Assert.Equal(("webhook_1", "webhook", "4f9b1b7e-0000-4000-8000-000000000001"),
            (started["source"]!.GetValue<string>(), started["provider"]!.GetValue<string>(), started["projectId"]!.GetValue<string>()));
        Assert.Equal(3, running["state"]!.GetValue<int>());
        Assert.False(running["completed"]!.GetValue<bool>());
        Assert.True(running["serviceUp"]!.GetValue<bool>());
        Assert.Equal("echo.webhook_1", running["name"]!.GetValue<string>());
        Assert.True(terminate.Success, terminate.Message);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.True(final["completed"]!.GetValue<bool>());
        Assert.Equal("Stopped", final["exitMessage"]!.GetValue<string>());
        Assert.Equal(0, final["exitCode"]!.GetValue<int>());
        Assert.True(final["endTime"]!.GetValue<double>() >= final["startTime"]!.GetValue<double>());
        Assert.Equal([1, 2, 3, 4, 6], observer.States(token));
    }

    [Fact]
    public async Task Status_has_every_field_the_sdk_tests_require()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var status = await client.StatusAsync(token);

        foreach (var field in new[]
        {
            "name", "project_id", "source", "completed", "state", "startTime", "endTime", "debuggerAttached", "status",
            "warnings", "errors", "currentObject", "currentSize", "notes", "totalSize", "totalCount", "completedSize",
            "completedCount", "failedSize", "failedCount", "wordsSize", "wordsCount", "rateSize", "rateCount",
            "serviceUp", "exitCode", "exitMessage", "pipeflow", "taskType", "statusName", "exitReason", "createdAt",
            "startedAt", "completedAt", "queuePosition", "stats",
        })
        {
            Assert.True(status.ContainsKey(field), $"missing {field}");
        }

        Assert.IsType<JsonArray>(status["errors"]);
        Assert.IsType<JsonArray>(status["notes"]);
        Assert.True(status["pipeflow"]!.AsObject().ContainsKey("byPipe"));
        Assert.IsType<JsonObject>(status["stats"]);
        Assert.False(status.ContainsKey("config"));
    }

    [Fact]
    public async Task Text_comes_back_with_each_written_chunk_followed_by_a_blank_line()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var streamed = await client.SendAsync(token, "Hello ", "text/plain", null, "from ", "streaming ", "test!");
        var named = await client.SendAsync(token, "Hello ☃ 🚀", "text/plain; charset=utf-8", "greeting.txt");

        Assert.True(streamed.Success, streamed.Message);
        Assert.Equal("Hello \n\nfrom \n\nstreaming \n\ntest!\n\n", streamed.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal("text", streamed.Body["result_types"]!["text"]!.GetValue<string>());
        Assert.Equal("", streamed.Body["path"]!.GetValue<string>());
        Assert.Matches(UuidPattern(), streamed.Body["objectId"]!.GetValue<string>());
        Assert.Matches(UuidPattern(), streamed.Body["name"]!.GetValue<string>());
        Assert.Equal("greeting.txt", named.Body!["name"]!.GetValue<string>());
        Assert.Equal("Hello ☃ 🚀\n\n", named.Body["text"]![0]!.GetValue<string>());
        var status = await client.StatusAsync(token);
        Assert.Equal(2, status["completedCount"]!.GetValue<int>());
        Assert.Empty(status["errors"]!.AsArray());
    }

    [Fact]
    public async Task An_object_without_a_text_type_has_no_result_types_at_all()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "\u0001\u0002binary", "application/octet-stream");

        Assert.True(result.Success, result.Message);
        Assert.False(result.Body!.AsObject().ContainsKey("result_types"));
    }

    [Fact]
    public async Task A_second_execute_of_a_running_token_fails_unless_useExisting_and_16_concurrent_useExisting_calls_share_one_task()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();

        var calls = Enumerable.Range(0, 16).Select(_ => client.RequestAsync("execute", new()
        {
            ["pipeline"] = pipeline.DeepClone(),
            ["token"] = "TS-CC-m0",
            ["useExisting"] = true,
        })).ToList();
        var responses = await Task.WhenAll(calls);
        var duplicate = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline.DeepClone(), ["token"] = "TS-CC-m0" });

        Assert.All(responses, r => Assert.True(r.Success, r.Message));
        Assert.Single(responses.Select(r => r.Body!["token"]!.GetValue<string>()).Distinct());
        Assert.Equal("TS-CC-m0", responses[0].Body!["token"]!.GetValue<string>());
        Assert.Single(server.Services.GetRequiredService<TaskManager>().Tasks);
        Assert.False(duplicate.Success);
        Assert.Equal("Pipeline is already running.", duplicate.Message);
    }

    [Theory]
    [InlineData("nonexistent_provider", "unknown provider \"nonexistent_provider\"")]
    public async Task An_invalid_pipeline_fails_execute_with_the_first_error(string provider, string error)
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        pipeline["components"]![1]!["provider"] = provider;

        var response = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline });

        Assert.False(response.Success);
        Assert.Contains(error, response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_terminate_data_calls_fail_with_the_exit_message()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await client.RequestAsync("terminate", new() { ["token"] = token });

        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject(), ["mimeType"] = "text/plain", ["token"] = token });
        var unknown = await client.RequestAsync("terminate", new() { ["token"] = "tk_ffffffffffffffffffffffffffffffff" });

        Assert.False(open.Success);
        Assert.Equal("Stopped", open.Message);
        Assert.False(unknown.Success);
        Assert.Equal("Your pipeline is not running: unknown task", unknown.Message);
    }

    [Fact]
    public async Task A_worker_that_exits_with_a_code_ends_its_task_with_that_code_and_leaves_other_tasks_alone()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var bystander = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("exit", exitCode: 3)))["token"]!.GetValue<string>();

        var send = await client.SendAsync(token, "boom");
        var final = await client.WaitForStateAsync(token, 5, 6);
        var other = await client.SendAsync(bystander, "still here");

        Assert.False(send.Success);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal(3, final["exitCode"]!.GetValue<int>());
        Assert.StartsWith("The worker exited with code 3", final["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("still here\n\n", other.Body!["text"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_killed_mid_object_ends_its_task_with_the_signal()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = "half" }, ["mimeType"] = "text/plain", ["token"] = token });
        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();

        var task = server.Services.GetRequiredService<TaskManager>().GetTask(token, Engine.Security.Caller.ForApiKey(), Engine.Security.Permissions.Monitor);
        Process.GetProcessById(task.Worker!.ProcessId).Kill();
        var final = await client.WaitForStateAsync(token, 5, 6);
        var close = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });

        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal(137, final["exitCode"]!.GetValue<int>());
        Assert.Equal("The worker was killed by signal 9 (SIGKILL)", final["exitMessage"]!.GetValue<string>());
        Assert.Equal(1, final["failedCount"]!.GetValue<int>()); // the object in flight died with the worker
        Assert.False(close.Success);
    }

    [Fact]
    public async Task A_worker_killed_while_loading_the_pipeline_reports_the_signal_not_a_start_failure()
    {
        await using var server = await TestServer.StartAsync(
            options: o => o with { StopGrace = TimeSpan.FromSeconds(3) },
            services: s => s.AddSingleton<ITaskObserver>(new KillWhileLoading()));
        await using var client = await server.ConnectAsync();

        var execute = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["token"] = "killed-at-start" });
        var final = await client.WaitForStateAsync("killed-at-start", 6);

        Assert.False(execute.Success);
        Assert.Equal(137, final["exitCode"]!.GetValue<int>());
        Assert.Equal("The worker was killed by signal 9 (SIGKILL)", final["exitMessage"]!.GetValue<string>());
    }

    /// <summary>Kills a task's worker the moment it starts loading the pipeline (the task enters INITIALIZING).</summary>
    private sealed class KillWhileLoading : ITaskObserver
    {
        public void OnTaskEvent(TaskEvent taskEvent)
        {
            if (taskEvent is TaskStatusChanged { StateChanged: true, Task: { State: TaskState.Initializing, Worker: { } worker } })
            {
                // Only the signal: the engine notices the exit itself (waiting here would hold up the engine's thread).
                using var process = Process.GetProcessById(worker.ProcessId);
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task A_crashing_worker_reports_its_abort_and_its_last_words()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("crash")))["token"]!.GetValue<string>();

        await client.SendAsync(token, "boom");
        var final = await client.WaitForStateAsync(token, 5, 6);

        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.NotEqual(0, final["exitCode"]!.GetValue<int>());
        Assert.Contains("The worker", final["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_object_that_fails_is_a_failed_response_not_a_false_success()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("throw")))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "nope");
        var status = await client.WaitForStatusAsync(token, s => s["failedCount"]!.GetValue<int>() == 1);

        Assert.False(result.Success);
        Assert.Contains("failing this object on purpose", result.Message, StringComparison.Ordinal);
        Assert.Equal(3, status["state"]!.GetValue<int>());
        Assert.Contains("failing this object on purpose", status["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_with_the_sdks_star_token_finds_the_task_by_project_and_source_and_keeps_its_identity()
    {
        var observer = new RecordingObserver();
        await using var server = await StartServerAsync(observer);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var started = await client.ExecuteAsync(pipeline);
        var token = started["token"]!.GetValue<string>();
        await client.SendAsync(token, "before");

        var restart = await client.RequestAsync("restart", new()
        {
            ["token"] = "*",
            ["projectId"] = started["projectId"]!.DeepClone(),
            ["source"] = "webhook_1",
            ["pipeline"] = pipeline.DeepClone(),
        });
        var after = await client.SendAsync(token, "after");
        var status = await client.StatusAsync(token);

        Assert.True(restart.Success, restart.Message);
        Assert.Equal(token, restart.Body!["token"]!.GetValue<string>());
        Assert.Equal("after\n\n", after.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(1, status["completedCount"]!.GetValue<int>());
        Assert.Equal(3, status["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_placeholder_nothing_sets_is_refused_by_validate_and_execute_naming_the_variable_and_where_to_set_it()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        pipeline["description"] = "needs ${PIPELINEHOST_FIRSTHOUR_UNSET}";

        var validate = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = pipeline.DeepClone() });
        var execute = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline.DeepClone() });
        var withEnv = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline.DeepClone(), ["env"] = new JsonObject { ["PIPELINEHOST_FIRSTHOUR_UNSET"] = "given" } });

        const string Message = "Placeholder ${PIPELINEHOST_FIRSTHOUR_UNSET} is not set: set the environment variable PIPELINEHOST_FIRSTHOUR_UNSET where the server runs (before starting it), or pass it in the task's env";
        Assert.Equal(Message, validate.Body!["errors"]![0]!["message"]!.GetValue<string>());
        Assert.False(execute.Success);
        Assert.Equal(Message, execute.Message);
        Assert.True(withEnv.Success, withEnv.Message);
        await client.RequestAsync("terminate", new() { ["token"] = withEnv.Body!["token"]!.DeepClone() });
    }

    [Fact]
    public async Task Token_and_pipeline_lookups_and_the_task_list()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        pipeline["description"] = "a ${ROCKETRIDE_X} placeholder stays unresolved";
        var started = await client.ExecuteAsync(pipeline, new JsonObject { ["env"] = new JsonObject { ["ROCKETRIDE_X"] = "resolved for the run" } });
        var token = started["token"]!.GetValue<string>();

        var lookup = await client.RequestAsync("rrext_get_token", new() { ["projectId"] = started["projectId"]!.DeepClone(), ["source"] = "webhook_1" });
        var stored = await client.RequestAsync("rrext_get_pipeline", new() { ["token"] = token });
        var list = await client.RequestAsync("rrext_get_tasks", []);

        Assert.Equal(token, lookup.Body!["token"]!.GetValue<string>());
        Assert.Equal("a ${ROCKETRIDE_X} placeholder stays unresolved", stored.Body!["pipeline"]!["description"]!.GetValue<string>());
        Assert.Equal("webhook_1", stored.Body["pipeline"]!["source"]!.GetValue<string>());
        Assert.Contains(list.Body!["tasks"]!.AsArray(), t => t!["token"]!.GetValue<string>() == token);
    }

    [Fact]
    public async Task An_idle_task_past_its_ttl_is_stopped_and_says_why()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["ttl"] = 1 }))["token"]!.GetValue<string>();
        var keptAlive = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["ttl"] = 0 }))["token"]!.GetValue<string>();

        var final = await client.WaitForStateAsync(token, 5, 6);

        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal("Stopped: idle for more than 1 s (ttl)", final["exitMessage"]!.GetValue<string>());
        Assert.Equal(3, (await client.StatusAsync(keptAlive))["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_worker_that_ignores_the_stop_request_is_killed_after_the_grace_and_says_so()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(1) });
        await using var client = await server.ConnectAsync();
        var bystander = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("hang")))["token"]!.GetValue<string>();
        var passed = await client.SendAsync(token, "from now on this worker will not stop");

        var terminate = await client.RequestAsync("terminate", new() { ["token"] = token });
        var final = await client.StatusAsync(token);
        var other = await client.SendAsync(bystander, "still here");

        Assert.True(passed.Success, passed.Message);
        Assert.True(terminate.Success, terminate.Message);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal("Stopped", final["status"]!.GetValue<string>());
        Assert.Equal(137, final["exitCode"]!.GetValue<int>());
        Assert.Equal("Stopped: the worker did not stop within 1 s and was killed by signal 9 (SIGKILL)", final["exitMessage"]!.GetValue<string>());
        Assert.Equal("still here\n\n", other.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(3, (await client.StatusAsync(bystander))["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_pipe_left_idle_past_the_configured_timeout_is_reaped_as_failed_and_its_slot_is_reused()
    {
        var clock = new ManualTimeProvider();
        await using var server = await TestServer.StartAsync(
            options: o => o with { PipeIdleTimeout = TimeSpan.FromSeconds(10) },
            services: s => s.AddSingleton<TimeProvider>(clock));
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["threads"] = 1 }))["token"]!.GetValue<string>();
        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = "forgotten" }, ["mimeType"] = "text/plain", ["token"] = token });
        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();
        var write = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, System.Text.Encoding.UTF8.GetBytes("half an object"));

        clock.Advance(TimeSpan.FromSeconds(9));
        var before = await client.StatusAsync(token);
        clock.Advance(TimeSpan.FromSeconds(6));
        var reaped = await client.WaitForStatusAsync(token, s => s["failedCount"]!.GetValue<int>() == 1);
        var lateWrite = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, System.Text.Encoding.UTF8.GetBytes("too late"));
        var lateClose = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
        var next = await client.SendAsync(token, "the only slot is free again");

        Assert.True(write.Success, write.Message);
        Assert.Equal(0, before["failedCount"]!.GetValue<int>());
        Assert.Equal(3, reaped["state"]!.GetValue<int>());
        Assert.Contains(reaped["errors"]!.AsArray(), e => e!.GetValue<string>().Contains("The pipe was idle for 10 s", StringComparison.Ordinal));
        Assert.False(lateWrite.Success);
        Assert.Equal($"Write pipe with id {pipeId} failed: The pipe was idle for 10 s and was closed as failed", lateWrite.Message);
        Assert.False(lateClose.Success);
        Assert.Equal($"Close pipe with id {pipeId} failed: The pipe was idle for 10 s and was closed as failed", lateClose.Message);
        Assert.True(next.Success, next.Message);
        Assert.Equal("the only slot is free again\n\n", next.Body!["text"]![0]!.GetValue<string>());
    }

    [GeneratedRegex("^tk_[0-9a-f]{32}$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("^pk_[0-9a-f]{32}$")]
    private static partial Regex PublicKeyPattern();

    [GeneratedRegex("^[0-9a-f-]{36}$")]
    private static partial Regex UuidPattern();
}
