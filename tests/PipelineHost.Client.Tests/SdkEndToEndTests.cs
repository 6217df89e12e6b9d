using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Client.Tests;

/// <summary>The SDK against a real server with real workers; run once per encoding by the subclasses below.</summary>
public abstract class SdkEndToEndTests
{
    protected abstract MessageEncoding Encoding { get; }

    private PipelineHostClientOptions Options => new() { Encoding = Encoding, ClientName = "xunit" };

    private async Task<(TestServer Server, PipelineHostClient Client)> StartAsync(Func<Server.Hosting.ServerOptions, Server.Hosting.ServerOptions>? options = null)
    {
        var server = await TestServer.StartAsync(options);
        return (server, await server.ConnectAsync(Options));
    }

    [Fact]
    public async Task A_callback_url_is_sent_with_execute_and_writer_outputs_download_through_the_sdk()
    {
        // Nothing listens on port 9: the one attempt fails at once and is recorded.
        await using var server = await TestServer.StartAsync(o => o with
        {
            Callbacks = new Engine.Callbacks.CallbackOptions { AllowPrivateNetworks = true, MaxAttempts = 1 },
        });
        await using var client = await server.ConnectAsync(Options);
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject { ["id"] = "writer_1", ["provider"] = "writer", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
            ["source"] = "webhook_1",
        };

        var task = await client.UseAsync(pipeline, new UseOptions { CallbackUrl = new Uri("http://127.0.0.1:9/cb?secret=1") });
        await client.SendAsync(task.Token, "written by the writer", new JsonObject { ["name"] = "doc.txt" });
        await client.TerminateAsync(task.Token);
        TaskStatus status;
        do
        {
            status = await client.GetTaskStatusAsync(task.Token);
        }
        while (status.Callback?.State == "pending" && await Delay());
        using var download = new MemoryStream();
        await client.DownloadOutputAsync(task.Token, "doc.txt.txt", download);
        var missing = await Assert.ThrowsAsync<PipelineHostException>(() => client.DownloadOutputAsync(task.Token, "../api-key", new MemoryStream()));

        Assert.Equal(("http://127.0.0.1:9/cb?***", "failed"), (status.Callback!.Url, status.Callback.State));
        var attempt = Assert.Single(status.Callback.Attempts);
        Assert.Null(attempt.StatusCode);
        Assert.False(string.IsNullOrEmpty(attempt.Error));
        Assert.Equal([new TaskOutputFile("doc.txt.txt", 21, "text/plain; charset=utf-8")], status.Outputs);
        Assert.Null(status.RemainingCount);
        Assert.Equal("written by the writer", System.Text.Encoding.UTF8.GetString(download.ToArray()));
        Assert.Equal("Output '../api-key' not found", missing.Message);

        static async Task<bool> Delay()
        {
            await Task.Delay(20);
            return true;
        }
    }

    [Fact]
    public async Task A_queued_task_is_handed_back_at_once_with_its_position_and_its_status_says_why_it_ended()
    {
        var (server, client) = await StartAsync(o => o with { MaxConcurrentTasks = 1 });
        await using var _ = server;
        await using var __ = client;
        var first = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);

        var queued = await client.UseAsync(TestPipelines.Echo(), new UseOptions { Expires = TimeSpan.FromMinutes(5), Timeout = TimeSpan.FromSeconds(90.5) }).WaitAsync(TestTimeouts.Default);
        var waiting = await client.GetTaskStatusAsync(queued.Token, includeConfig: true).WaitAsync(TestTimeouts.Default);
        var waited = client.UseAsync(TestPipelines.Echo(), new UseOptions { Token = "SDK-WAITS", Wait = true });
        await client.TerminateAsync(queued.Token).WaitAsync(TestTimeouts.Default);
        var cancelled = await client.GetTaskStatusAsync(queued.Token).WaitAsync(TestTimeouts.Default);
        await client.TerminateAsync(first.Token).WaitAsync(TestTimeouts.Default);
        var started = await waited.WaitAsync(TestTimeouts.Default);
        var running = await client.GetTaskStatusAsync(started.Token).WaitAsync(TestTimeouts.Default);

        Assert.False(first.Queued);
        Assert.Equal((true, 1), (queued.Queued, queued.QueuePosition));
        Assert.Equal((TaskState.None, "PENDING", 1, true), (waiting.State, waiting.StatusName, waiting.QueuePosition, waiting.Queued));
        Assert.Equal((1, 1), (waiting.Stats.QueueDepth, waiting.Stats.ActiveWorkers));
        Assert.NotNull(waiting.CreatedAt);
        Assert.Null(waiting.StartedAt);
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(90.5)), (waiting.Config!.Expires, waiting.Config.Timeout));
        Assert.Equal(("CANCELED", "cancelled"), (cancelled.StatusName, cancelled.ExitReason));
        Assert.NotNull(cancelled.CompletedAt);
        Assert.Null(cancelled.Config);
        Assert.Equal((false, 0), (started.Queued, started.QueuePosition));
        Assert.Equal((TaskState.Running, "IN_PROGRESS"), (running.State, running.StatusName));
        Assert.NotNull(running.StartedAt);
    }

    [Fact]
    public async Task Connect_authenticates_in_the_chosen_encoding_and_ping_answers()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync(Options);

        await client.PingAsync().WaitAsync(TestTimeouts.Default);

        Assert.True(client.IsConnected);
        Assert.Equal(Encoding, client.Encoding);
        Assert.Equal(new Uri($"ws://127.0.0.1:{server.Port}/task/service"), client.Uri);
        Assert.Equal(TestServer.ApiKey, client.AccountInfo["userToken"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_key_raises_the_authentication_exception_with_the_server_message()
    {
        await using var server = await TestServer.StartAsync();

        var error = await Assert.ThrowsAsync<PipelineHostAuthenticationException>(() =>
            PipelineHostClient.ConnectAsync(server.WebSocketUri, "wrong-key", Options).WaitAsync(TestTimeouts.Default));

        Assert.Equal("Invalid API key", error.Message);
        Assert.Equal("auth", error.Command);
    }

    [Fact]
    public async Task Use_of_the_example_file_then_send_text_then_status()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;

        var task = await client.UseAsync(TestPipelines.Example("webhook-echo.pipe.json")).WaitAsync(TestTimeouts.Default);
        var result = await client.SendAsync(task.Token, "Hello, pipeline", new JsonObject { ["name"] = "greeting.txt" }).WaitAsync(TestTimeouts.Default);
        var status = await client.GetTaskStatusAsync(task.Token).WaitAsync(TestTimeouts.Default);

        Assert.StartsWith("tk_", task.Token, StringComparison.Ordinal);
        Assert.StartsWith("pk_", task.PublicToken, StringComparison.Ordinal);
        Assert.Equal((status.Raw["id"]!.GetValue<string>(), "6d0b6a4e-1b5f-4a43-9a55-8f1f6f0e2a11", "webhook_1", "webhook"),
            (task.Id, task.ProjectId, task.Source, task.Provider));
        Assert.Equal("greeting.txt", result.Name);
        Assert.Equal("Hello, pipeline\n\n", result.GetText());
        Assert.Equal("text", result.ResultTypes["text"]);
        Assert.Matches("^[0-9a-f-]{36}$", result.ObjectId);
        Assert.Equal(TaskState.Running, status.State);
        Assert.False(status.Completed);
        Assert.Equal("Webhook echo.webhook_1", status.Name); // the pipeline's own name, as POST /task shows it too
        Assert.Equal(task.ProjectId, status.ProjectId);
        Assert.Equal(1, status.Counts.CompletedCount);
        Assert.Empty(status.Errors);
        Assert.True(status.ServiceUp);
        Assert.NotNull(status.StartTime);
        Assert.Null(status.EndTime);
        Assert.True(status.Raw.ContainsKey("pipeflow"));
    }

    [Fact]
    public async Task A_retry_policy_and_retry_failed_show_in_the_typed_status_and_the_retry_task_completes()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync(Options);
        var marker = Path.Combine(server.DataDirectory, "recovered");
        var pipeline = JsonNode.Parse("""
            {"components":[
              {"id":"webhook_1","provider":"webhook","config":{}},
              {"id":"fault_1","provider":"fault","config":{"action":"throw"},"input":[{"lane":"text","from":"webhook_1"}]},
              {"id":"response_1","provider":"response","config":{},"input":[{"lane":"text","from":"fault_1"}]}],
             "source":"webhook_1"}
            """)!.AsObject();
        pipeline["components"]![1]!["config"]!["passIfExists"] = marker;

        var task = await client.UseAsync(pipeline, new UseOptions { Retry = new RetryPolicy(1, "fixed", 0) }).WaitAsync(TestTimeouts.Default);
        await Assert.ThrowsAsync<PipelineHostException>(() => client.SendAsync(task.Token, "will fail", new JsonObject { ["name"] = "a.txt" }).WaitAsync(TestTimeouts.Default));
        var failed = await client.GetTaskStatusAsync(task.Token).WaitAsync(TestTimeouts.Default);
        await client.TerminateAsync(task.Token).WaitAsync(TestTimeouts.Default);
        await File.WriteAllTextAsync(marker, "up");
        var retry = await client.RetryFailedAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var done = await WaitUntilCompletedAsync(client, retry.Task.Token);

        Assert.Equal((1L, 1L, 1L), (failed.Retries.Retried, failed.Retries.MaxRetry, failed.Retries.FailedItems));
        Assert.Equal("fault: failing this object on purpose", failed.Retries.LastError);
        Assert.NotNull(failed.Retries.LastErrorAt);
        Assert.Null(failed.Retries.NextProcessAt);
        Assert.Null(failed.Retries.NbItems);
        Assert.Equal((1L, task.Id), (retry.NbItems, retry.RetryOf));
        Assert.Equal("failed_items", retry.Task.Provider);
        Assert.Equal(TaskState.Completed, done.State);
        Assert.Equal((1L, 0L, task.Id), (done.Retries.NbItems, done.Retries.NbRemainingItems, done.Retries.RetryOf));
        Assert.Equal(1, done.Counts.CompletedCount);
    }

    private static async Task<TaskStatus> WaitUntilCompletedAsync(PipelineHostClient client, string token)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var status = await client.GetTaskStatusAsync(token, timeout.Token);
            if (status.Completed)
            {
                return status;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task A_pipe_takes_several_writes_and_returns_each_chunk_followed_by_a_blank_line()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);

        PipelineResult result;
        await using (var pipe = await client.OpenPipeAsync(task.Token, new JsonObject { ["name"] = "stream.txt" }, "text/plain").WaitAsync(TestTimeouts.Default))
        {
            foreach (var chunk in new[] { "Hello ", "from ", "streaming ", "test!" })
            {
                await pipe.WriteAsync(System.Text.Encoding.UTF8.GetBytes(chunk)).WaitAsync(TestTimeouts.Default);
            }

            result = await pipe.CloseAsync().WaitAsync(TestTimeouts.Default);
            Assert.True(pipe.IsClosed);
            await Assert.ThrowsAsync<InvalidOperationException>(() => pipe.WriteAsync(new byte[1]));
        }

        Assert.Equal("stream.txt", result.Name);
        Assert.Equal("Hello \n\nfrom \n\nstreaming \n\ntest!\n\n", result.GetText());
    }

    [Fact]
    public async Task A_stream_is_written_in_one_mebibyte_chunks()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        var text = new string('a', PipelineHostClient.ChunkSize) + new string('b', PipelineHostClient.ChunkSize) + "ccc";

        using var stream = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text));
        var result = await client.SendAsync(task.Token, stream, mimeType: "text/plain").WaitAsync(TestTimeouts.Default);

        var expected = new string('a', PipelineHostClient.ChunkSize) + "\n\n" + new string('b', PipelineHostClient.ChunkSize) + "\n\nccc\n\n";
        Assert.True(expected == result.GetText(), "the echo should show three writes");
    }

    [Fact]
    public async Task A_file_is_sent_under_its_name_with_a_type_from_its_extension()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        var path = Path.Combine(Path.GetTempPath(), $"sdk-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(path, "from a file");

        try
        {
            var result = await client.SendAsync(task.Token, new FileInfo(path)).WaitAsync(TestTimeouts.Default);
            var binary = await client.SendAsync(task.Token, new byte[] { 0, 1, 10, 255 }).WaitAsync(TestTimeouts.Default);

            Assert.Equal(Path.GetFileName(path), result.Name);
            Assert.Equal("from a file\n\n", result.GetText());
            Assert.Empty(binary.ResultTypes);
            Assert.Null(binary.GetText());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Twenty_concurrent_sends_on_one_socket_each_get_their_own_result()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);

        var sends = Enumerable.Range(0, 20)
            .Select(i => client.SendAsync(task.Token, $"message {i}", new JsonObject { ["name"] = $"m{i}" }))
            .ToList();
        var results = await Task.WhenAll(sends).WaitAsync(TestTimeouts.Default);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"m{i}", results[i].Name);
            Assert.Equal($"message {i}\n\n", results[i].GetText());
        }

        Assert.Equal(20, results.Select(r => r.ObjectId).Distinct().Count());
    }

    [Fact]
    public async Task Terminate_cancels_the_task_and_later_sends_fail_with_the_server_message()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);

        await client.TerminateAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var status = await client.GetTaskStatusAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var send = await Assert.ThrowsAsync<PipelineHostException>(() => client.SendAsync(task.Token, "too late").WaitAsync(TestTimeouts.Default));
        var again = await Assert.ThrowsAsync<PipelineHostException>(() => client.TerminateAsync("tk_ffffffffffffffffffffffffffffffff").WaitAsync(TestTimeouts.Default));

        Assert.Equal(TaskState.Cancelled, status.State);
        Assert.True(status.Completed);
        Assert.Equal("Stopped", status.ExitMessage);
        Assert.NotNull(status.EndTime);
        Assert.Equal("Stopped", send.Message);
        Assert.Equal("rrext_process", send.Command);
        Assert.Equal("Your pipeline is not running: unknown task", again.Message);
        Assert.Equal("terminate", again.Command);
    }

    [Fact]
    public async Task Restart_by_project_and_source_keeps_the_token_and_the_task_accepts_data_again()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var pipeline = TestPipelines.Echo();
        var task = await client.UseAsync(pipeline).WaitAsync(TestTimeouts.Default);

        var restarted = await client.RestartAsync(task.ProjectId, task.Source, pipeline).WaitAsync(TestTimeouts.Default);
        var result = await client.SendAsync(restarted.Token, "after restart").WaitAsync(TestTimeouts.Default);

        Assert.Equal(task.Token, restarted.Token);
        Assert.Equal(task.Id, restarted.Id);
        Assert.Equal("after restart\n\n", result.GetText());
    }

    [Fact]
    public async Task Lookups_find_the_running_task_by_project_and_in_the_task_list()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo(), new UseOptions { Token = "SDK-LOOKUP", Name = "lookup" }).WaitAsync(TestTimeouts.Default);

        var token = await client.GetTaskTokenAsync(task.ProjectId, task.Source).WaitAsync(TestTimeouts.Default);
        var tasks = await client.GetTasksAsync().WaitAsync(TestTimeouts.Default);
        var pipeline = await client.GetTaskPipelineAsync(task.Token).WaitAsync(TestTimeouts.Default);

        Assert.Equal("SDK-LOOKUP", task.Token);
        Assert.Equal("SDK-LOOKUP", token);
        Assert.Contains(tasks, t => t.Token == "SDK-LOOKUP" && t.Source == "webhook_1");
        Assert.Equal(task.ProjectId, pipeline["project_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validate_reports_an_unknown_provider_as_errors_not_as_a_failure()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;

        var bad = await client.ValidateAsync(TestPipelines.WithUnknownProvider()).WaitAsync(TestTimeouts.Default);
        var good = await client.ValidateAsync(new JsonObject { ["pipeline"] = TestPipelines.Echo() }).WaitAsync(TestTimeouts.Default);

        Assert.False(bad.IsValid);
        Assert.Contains(bad.Errors, e => e.Message.Contains("nonexistent_provider", StringComparison.Ordinal));
        Assert.True(good.IsValid);
        Assert.Equal("webhook_1", good.Pipeline!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Services_list_every_provider_and_describe_one_and_an_unknown_one_fails()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;

        var catalog = await client.GetServicesAsync().WaitAsync(TestTimeouts.Default);
        var webhook = await client.GetServiceAsync("webhook").WaitAsync(TestTimeouts.Default);
        var unknown = await Assert.ThrowsAsync<PipelineHostException>(() => client.GetServiceAsync("no_such_service").WaitAsync(TestTimeouts.Default));

        Assert.Contains("webhook", catalog.Services.Keys);
        Assert.Contains("synthetic", catalog.Services.Keys);
        Assert.Equal("1", catalog.Version);
        Assert.Equal("webhook", webhook.Name);
        Assert.False(string.IsNullOrEmpty(webhook.Title));
        Assert.Contains("no_such_service", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_fails_with_the_server_message_and_the_command()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;

        var error = await Assert.ThrowsAsync<PipelineHostException>(() => client.CallAsync("nope").WaitAsync(TestTimeouts.Default));

        Assert.Equal("Unknown command 'nope'", error.Message);
        Assert.Equal("nope", error.Command);
    }

    [Fact]
    public async Task WaitForCompletion_returns_the_final_status_of_a_batch_pipeline_that_ends_by_itself()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var seen = new List<TaskStatus>();

        var task = await client.UseAsync(TestPipelines.SyntheticBatch()).WaitAsync(TestTimeouts.Default);
        var final = await client.WaitForCompletionAsync(task.Token, new SynchronousProgress<TaskStatus>(seen.Add)).WaitAsync(TestTimeouts.Default);

        Assert.Equal(TaskState.Completed, final.State);
        Assert.True(final.Completed);
        Assert.Equal(5, final.Counts.CompletedCount);
        Assert.Equal(0, final.ExitCode);
        Assert.NotEmpty(seen);
        Assert.Same(final, seen[^1]);
    }

    [Fact]
    public async Task A_request_in_flight_when_the_socket_drops_fails_with_the_connection_exception()
    {
        await using var server = await TestServer.StartAsync();
        await using var relay = new DroppableTcpRelay(server.Port);
        await using var client = await PipelineHostClient.ConnectAsync(relay.Uri, TestServer.ApiKey, Options).WaitAsync(TestTimeouts.Default);
        var task = await client.UseAsync(TestPipelines.Echo(), new UseOptions { Threads = 1 }).WaitAsync(TestTimeouts.Default);
        await using var first = await client.OpenPipeAsync(task.Token).WaitAsync(TestTimeouts.Default);

        // With one pipe slot taken, the server holds the second open until a slot frees: it is surely in flight.
        var second = client.OpenPipeAsync(task.Token);
        relay.DropAll();

        await Assert.ThrowsAsync<PipelineHostConnectionException>(() => second.WaitAsync(TestTimeouts.Default));
        await Assert.ThrowsAsync<PipelineHostConnectionException>(() => client.PingAsync().WaitAsync(TestTimeouts.Default));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task After_the_server_side_drops_the_socket_the_client_reconnects_and_authenticates_again()
    {
        await using var server = await TestServer.StartAsync();
        await using var relay = new DroppableTcpRelay(server.Port);
        await using var client = await PipelineHostClient.ConnectAsync(relay.Uri, TestServer.ApiKey, Options with { AutoReconnect = true })
            .WaitAsync(TestTimeouts.Default);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionLost += (_, _) => lost.TrySetResult();
        client.Reconnected += (_, _) => reconnected.TrySetResult();
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);

        // A request racing the drop may fail (it may or may not have reached the server); one made once the loss
        // is known waits for the new connection.
        relay.DropAll();
        await lost.Task.WaitAsync(TestTimeouts.Default);
        var ping = client.PingAsync();
        await reconnected.Task.WaitAsync(TestTimeouts.Default);
        await ping.WaitAsync(TestTimeouts.Default);
        var result = await client.SendAsync(task.Token, "still there").WaitAsync(TestTimeouts.Default);

        Assert.Equal(2, relay.Accepted);
        Assert.True(client.IsConnected);
        Assert.Equal(Encoding, client.Encoding);
        Assert.Equal("still there\n\n", result.GetText());
    }

    [Fact]
    public async Task A_monitor_resumes_by_itself_across_a_reconnect_with_no_event_lost_or_repeated()
    {
        await using var server = await TestServer.StartAsync();
        await using var relay = new DroppableTcpRelay(server.Port);
        await using var watcher = await PipelineHostClient.ConnectAsync(relay.Uri, TestServer.ApiKey, Options with { AutoReconnect = true })
            .WaitAsync(TestTimeouts.Default);
        await using var driver = await server.ConnectAsync(Options);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.ConnectionLost += (_, _) => lost.TrySetResult();
        var task = await driver.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        using var stop = new CancellationTokenSource(TestTimeouts.Default);
        var seen = new List<PipelineEvent>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = Task.Run(async () =>
        {
            await foreach (var evt in watcher.MonitorAsync(task.Token, EventTypes.Summary | EventTypes.Detail | EventTypes.Task, stop.Token))
            {
                lock (seen)
                {
                    seen.Add(evt);
                }

                subscribed.TrySetResult(); // the catch-up status: live from here

                if (ObjectName(evt) == "obj-3")
                {
                    third.TrySetResult();
                }

                if (evt is TaskLifecycleEvent { Action: "end" })
                {
                    return;
                }
            }
        });
        await subscribed.Task.WaitAsync(TestTimeouts.Default);
        for (var i = 1; i <= 3; i++)
        {
            await driver.SendAsync(task.Token, "before", new JsonObject { ["name"] = $"obj-{i}" }).WaitAsync(TestTimeouts.Default);
        }

        await third.Task.WaitAsync(TestTimeouts.Default);

        // The network goes down for as long as it takes to process three more objects.
        relay.Hold();
        relay.DropAll();
        await lost.Task.WaitAsync(TestTimeouts.Default);
        for (var i = 4; i <= 6; i++)
        {
            await driver.SendAsync(task.Token, "while away", new JsonObject { ["name"] = $"obj-{i}" }).WaitAsync(TestTimeouts.Default);
        }

        relay.Release();
        await driver.SendAsync(task.Token, "after", new JsonObject { ["name"] = "obj-7" }).WaitAsync(TestTimeouts.Default);
        await driver.TerminateAsync(task.Token).WaitAsync(TestTimeouts.Default);
        await watching.WaitAsync(TestTimeouts.Default);

        var numbered = seen.Where(e => e.Seq is not null).ToList();
        var seqs = numbered.Select(e => e.Seq!.Value).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 7).Select(i => $"obj-{i}"), seen.Select(ObjectName).OfType<string>());
        Assert.DoesNotContain(seen, e => e is GapEvent);
        Assert.Equal(2, relay.Accepted);
    }

    private static string? ObjectName(PipelineEvent evt) =>
        evt is DetailEvent { Name: "apaevt_status_object" } detail ? detail.Body["object"]?.GetValue<string>() : null;

    [Fact]
    public async Task A_pipe_dies_with_its_connection_and_does_not_follow_the_reconnect()
    {
        await using var server = await TestServer.StartAsync();
        await using var relay = new DroppableTcpRelay(server.Port);
        await using var client = await PipelineHostClient.ConnectAsync(relay.Uri, TestServer.ApiKey, Options with { AutoReconnect = true })
            .WaitAsync(TestTimeouts.Default);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, _) => reconnected.TrySetResult();
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        var pipe = await client.OpenPipeAsync(task.Token, mimeType: "text/plain").WaitAsync(TestTimeouts.Default);

        relay.DropAll();
        await reconnected.Task.WaitAsync(TestTimeouts.Default);

        // The server released the pipe with the old socket: the write must not wander onto the new one.
        await Assert.ThrowsAsync<PipelineHostConnectionException>(() => pipe.WriteAsync("late"u8.ToArray()).WaitAsync(TestTimeouts.Default));
        await pipe.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
        var fresh = await client.SendAsync(task.Token, "new pipe").WaitAsync(TestTimeouts.Default);
        Assert.Equal("new pipe\n\n", fresh.GetText());
    }

    [Fact]
    public async Task Monitor_yields_a_status_update_for_the_task_and_unsubscribes_when_the_enumeration_ends()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        using var stop = new CancellationTokenSource(TestTimeouts.Default);

        StatusUpdateEvent? update = null;
        await foreach (var evt in client.MonitorAsync(task.Token, EventTypes.Summary, stop.Token))
        {
            if (evt is StatusUpdateEvent s)
            {
                update = s;
                break;
            }
        }

        Assert.NotNull(update);
        Assert.Equal(task.Id, update.TaskId);
        Assert.Equal(TaskState.Running, update.Status.State);
    }

    [Fact]
    public async Task Monitor_of_every_task_sees_a_task_begin_and_end()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        using var stop = new CancellationTokenSource(TestTimeouts.Default);
        var actions = new List<string>();
        TaskHandle? task = null;

        await foreach (var evt in client.MonitorAsync("*", EventTypes.Task, stop.Token))
        {
            if (evt is not TaskLifecycleEvent lifecycle)
            {
                continue;
            }

            if (lifecycle.Action == "running" && task is null)
            {
                // The catch-up snapshot says the subscription is live: now start and stop a task.
                task = await client.UseAsync(TestPipelines.Echo(), cancellationToken: stop.Token);
                await client.TerminateAsync(task.Token, stop.Token);
                continue;
            }

            if (task is not null && lifecycle.Id == task.Id)
            {
                actions.Add(lifecycle.Action);
                Assert.Equal(task.ProjectId, lifecycle.ProjectId);
                if (lifecycle.Action == "end")
                {
                    break;
                }
            }
        }

        Assert.Equal(["begin", "end"], actions);
    }

    /// <summary>Progress reported on the caller's thread, so the list is complete when the wait returns.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (this)
            {
                report(value);
            }
        }
    }
}

public sealed class JsonSdkEndToEndTests : SdkEndToEndTests
{
    protected override MessageEncoding Encoding => MessageEncoding.Json;
}

public sealed class MessagePackSdkEndToEndTests : SdkEndToEndTests
{
    protected override MessageEncoding Encoding => MessageEncoding.MessagePack;
}
