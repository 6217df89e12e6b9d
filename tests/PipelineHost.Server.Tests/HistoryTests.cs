using System.Net;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Task history: what is recorded, where lookups fall back to it, <c>rrext_get_history</c>, retention.</summary>
public class HistoryTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Task<TestServer> StartAsync(ManualTimeProvider? clock = null, Func<Hosting.ServerOptions, Hosting.ServerOptions>? options = null) =>
        TestServer.StartAsync(
            options: o => (options ?? (x => x))(o with { StopGrace = TimeSpan.FromSeconds(3) }),
            services: s =>
            {
                if (clock is not null)
                {
                    s.AddSingleton<TimeProvider>(clock);
                }
            });

    private static async Task<string> RunAndStopAsync(DapTestClient client, JsonObject pipeline, string? name = null)
    {
        var token = (await client.ExecuteAsync(pipeline, name is null ? null : new() { ["name"] = name }))["token"]!.GetValue<string>();
        Assert.True((await client.SendAsync(token, "hello")).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        return token;
    }

    /// <summary>
    /// The recorder writes behind the engine (and a task's end is reported a moment after <c>terminate</c>
    /// returns): waits until the store has the task's final record, then flushes the rest (its transitions).
    /// </summary>
    private static async Task<TaskRecord> WaitUntilStoredAsEndedAsync(TestServer server, string token)
    {
        var store = server.Services.GetRequiredService<ITaskStore>();
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        TaskRecord? record;
        while ((record = await store.FindTaskAsync(token, timeout.Token)) is not { EndedAt: not null })
        {
            await Task.Delay(20, timeout.Token);
        }

        await server.Services.GetRequiredService<TaskHistoryRecorder>().FlushAsync(timeout.Token);
        return record;
    }

    /// <summary>Once the store has the final record: advances the clock past the in-memory retention and waits for housekeeping to drop the task.</summary>
    private static async Task ForgetInMemoryAsync(TestServer server, ManualTimeProvider clock, string token)
    {
        await WaitUntilStoredAsEndedAsync(server, token);
        var tasks = server.Services.GetRequiredService<TaskManager>();
        clock.Advance(TimeSpan.FromSeconds(10));
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (tasks.Tasks.Any(t => t.Token == token))
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task Every_state_of_a_real_task_and_its_final_status_are_recorded()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();

        var token = await RunAndStopAsync(client, pipeline, "recorded");
        var live = await client.StatusAsync(token);
        var record = await WaitUntilStoredAsEndedAsync(server, token);
        var transitions = await server.Services.GetRequiredService<ITaskStore>().ListTransitionsAsync(token, CancellationToken.None);

        Assert.Equal([TaskState.None, TaskState.Starting, TaskState.Initializing, TaskState.Running, TaskState.Stopping, TaskState.Cancelled], transitions.Select(t => t.State));
        Assert.Equal((TaskState.Cancelled, "Stopped", 0, "recorded.webhook_1"), (record.State, record.ExitMessage, record.ExitCode, record.Name));
        Assert.NotNull(record.StartedAt);
        Assert.True(record.EndedAt >= record.StartedAt);
        Assert.Equal(1, record.Status!["completedCount"]!.GetValue<int>());
        Assert.True(record.Status.ContainsKey("metrics"));
        Assert.True(record.Status.ContainsKey("tokens"));
        Assert.True(JsonNode.DeepEquals(live, record.ToStatus()), $"{live.ToJsonString()}\n{record.ToStatus().ToJsonString()}");
        Assert.Equal(pipeline["project_id"]!.GetValue<string>(), record.Pipeline["project_id"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "pipelinehost.db")));
    }

    [Fact]
    public async Task A_finished_task_keeps_its_peak_and_average_metrics_in_its_final_status_and_in_the_store()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await client.WaitForStatusAsync(token, s => s["metrics"]!["peak_cpu_memory_mb"]!.GetValue<double>() > 0);

        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var final = (await client.StatusAsync(token))["metrics"]!;
        var stored = (await WaitUntilStoredAsEndedAsync(server, token)).Status!["metrics"]!;

        Assert.Equal(0, final["cpu_memory_mb"]!.GetValue<double>());
        Assert.True(final["peak_cpu_memory_mb"]!.GetValue<double>() > 0, final.ToJsonString());
        Assert.True(final["avg_cpu_memory_mb"]!.GetValue<double>() > 0, final.ToJsonString());
        Assert.True(JsonNode.DeepEquals(final, stored), stored.ToJsonString());
    }

    [Fact]
    public async Task Status_by_token_falls_back_to_the_store_for_api_keys_but_never_revives_a_task_credential()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock, o => o with { Retention = TimeSpan.Zero });
        await using var client = await server.ConnectAsync();
        var started = await client.ExecuteAsync(TestPipelines.Echo());
        var token = started["token"]!.GetValue<string>();
        await using var scoped = await server.ConnectAsync(token);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var live = await client.StatusAsync(token);

        await ForgetInMemoryAsync(server, clock, token);
        var stored = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
        var byPublicKey = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = started["publicToken"]!.GetValue<string>() });
        var viaTaskCredential = await scoped.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
        await using var fresh = new DapTestClient(await server.OpenSocketAsync());
        var reauth = await fresh.RequestAsync("auth", new() { ["auth"] = token });
        var unknown = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = "tk_never_existed" });
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/task?token={token}");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var overHttp = await http.SendAsync(request);
        var httpStatus = JsonNode.Parse(await overHttp.Content.ReadAsStringAsync())!;

        Assert.True(stored.Success, stored.Message);
        Assert.Equal(System.Net.HttpStatusCode.OK, overHttp.StatusCode);
        Assert.True(JsonNode.DeepEquals(live, httpStatus["data"]), httpStatus.ToJsonString());
        Assert.True(JsonNode.DeepEquals(live, stored.Body), $"{live.ToJsonString()}\n{stored.Body!.ToJsonString()}");
        Assert.True(byPublicKey.Success, byPublicKey.Message);
        Assert.False(viaTaskCredential.Success);
        Assert.Equal(TaskNotFoundException.Unknown, viaTaskCredential.Message);
        Assert.False(reauth.Success);
        Assert.Equal(TaskNotFoundException.Unknown, unknown.Message);
    }

    [Fact]
    public async Task A_finished_tasks_token_still_reads_its_own_status_over_http_after_a_restart()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            string token;
            string publicKey;
            JsonObject live;
            await using (var server = await TestServer.StartAsync(dataDirectory: dataDirectory))
            {
                await using var client = await server.ConnectAsync();
                var started = await client.ExecuteAsync(TestPipelines.Echo());
                (token, publicKey) = (started["token"]!.GetValue<string>(), started["publicToken"]!.GetValue<string>());
                Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
                live = await client.StatusAsync(token);
                await WaitUntilStoredAsEndedAsync(server, token);
            }

            await using var restarted = await TestServer.StartAsync(dataDirectory: dataDirectory);
            using var http = restarted.CreateHttpClient();
            var own = await http.SendRawAsync(HttpMethod.Get, $"/task?token={token}");
            var byPublicKey = await http.SendRawAsync(HttpMethod.Get, $"/task?token={publicKey}");
            var unknown = await http.SendRawAsync(HttpMethod.Get, "/task?token=tk_ffffffffffffffffffffffffffffffff");

            Assert.Equal(System.Net.HttpStatusCode.OK, own.Status);
            var data = JsonNode.Parse(own.Body)!["data"]!.AsObject();
            Assert.Equal((6, live["completedAt"]!.GetValue<string>()), (data["state"]!.GetValue<int>(), data["completedAt"]!.GetValue<string>()));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, byPublicKey.Status);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unknown.Status);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task The_database_keeps_no_token_and_after_a_restart_a_task_is_found_by_its_token_and_listed_by_its_id()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            string token;
            string publicKey;
            string id;
            await using (var server = await TestServer.StartAsync(dataDirectory: dataDirectory))
            {
                await using var client = await server.ConnectAsync();
                var started = await client.ExecuteAsync(TestPipelines.Echo());
                (token, publicKey) = (started["token"]!.GetValue<string>(), started["publicToken"]!.GetValue<string>());
                Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
                id = (await client.StatusAsync(token))["id"]!.GetValue<string>();
                await WaitUntilStoredAsEndedAsync(server, token);
            }

            // The whole data folder's database files, byte for byte: neither credential in any form.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in Directory.EnumerateFiles(dataDirectory, SqliteTaskStore.FileName + "*"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                foreach (var secret in new[] { token, publicKey, token[3..], publicKey[3..] })
                {
                    Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds a credential");
                }
            }

            await using var restarted = await TestServer.StartAsync(dataDirectory: dataDirectory);
            using var anonymous = restarted.CreateHttpClient();
            var own = await anonymous.SendRawAsync(HttpMethod.Get, $"/task?token={token}");
            await using var client2 = await restarted.ConnectAsync();
            var history = await client2.RequestAsync("rrext_get_history", []);
            var byId = await client2.RequestAsync("rrext_get_task_status", new() { ["token"] = id });

            Assert.Equal(System.Net.HttpStatusCode.OK, own.Status);
            Assert.Equal(id, JsonNode.Parse(own.Body)!["data"]!["id"]!.GetValue<string>());
            var entry = Assert.Single(history.Body!["tasks"]!.AsArray())!.AsObject();
            Assert.Equal((id, 6), (entry["id"]!.GetValue<string>(), entry["state"]!.GetValue<int>()));
            Assert.False(entry.ContainsKey("token"));
            Assert.True(byId.Success, byId.Message);
            Assert.Equal(6, byId.Body!["state"]!.GetValue<int>());
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Get_history_lists_tasks_newest_first_with_filters_and_only_for_api_keys()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var first = TestPipelines.Echo();
        var firstToken = await RunAndStopAsync(client, first, "first");
        clock.Advance(TimeSpan.FromSeconds(1));
        var second = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["name"] = "second" });
        var secondToken = second["token"]!.GetValue<string>();
        await using var scoped = await server.ConnectAsync(secondToken);

        var all = await client.RequestAsync("rrext_get_history", []);
        var limited = await client.RequestAsync("rrext_get_history", new() { ["limit"] = 1 });
        var cancelled = await client.RequestAsync("rrext_get_history", new() { ["state"] = 6 });
        var byProject = await client.RequestAsync("rrext_get_history", new() { ["projectId"] = first["project_id"]!.GetValue<string>() });
        var denied = await scoped.RequestAsync("rrext_get_history", []);
        var badLimit = await client.RequestAsync("rrext_get_history", new() { ["limit"] = 0 });

        static IEnumerable<string> Tokens(Protocol.ResponseMessage r) => r.Body!["tasks"]!.AsArray().Select(t => t!["token"]!.GetValue<string>());
        Assert.Equal([secondToken, firstToken], Tokens(all));
        Assert.Equal([secondToken], Tokens(limited));
        Assert.Equal([firstToken], Tokens(cancelled));
        Assert.Equal([firstToken], Tokens(byProject));
        var entry = all.Body!["tasks"]![1]!.AsObject();
        Assert.Equal(
            ["token", "id", "name", "projectId", "source", "state", "status", "startTime", "endTime", "exitCode", "exitMessage",
             "statusName", "exitReason", "createdAt", "startedAt", "completedAt", "taskType", "totalCount", "completedCount",
             "failedCount", "rateCount", "failedItems", "metrics", "tokens"],
            entry.Select(p => p.Key));
        Assert.Equal(("CANCELED", "cancelled"), (entry["statusName"]!.GetValue<string>(), entry["exitReason"]!.GetValue<string>()));
        Assert.Equal("2025-01-01T00:00:00.000Z", entry["createdAt"]!.GetValue<string>());
        Assert.Equal("IN_PROGRESS", all.Body["tasks"]![0]!["statusName"]!.GetValue<string>());
        Assert.Null(all.Body["tasks"]![0]!["exitReason"]);
        Assert.Equal(("first.webhook_1", 6, "Stopped", "webhook_1"), (entry["name"]!.GetValue<string>(), entry["state"]!.GetValue<int>(), entry["exitMessage"]!.GetValue<string>(), entry["source"]!.GetValue<string>()));
        Assert.Equal(3, all.Body["tasks"]![0]!["state"]!.GetValue<int>());
        Assert.False(denied.Success);
        Assert.Contains("needs an API key", denied.Message, StringComparison.Ordinal);
        Assert.False(badLimit.Success);
    }

    [Fact]
    public async Task Get_history_over_http_filters_sorts_and_pages_as_the_websocket_for_api_keys_only()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var tokens = new List<string>();
        foreach (var name in new[] { "alpha", "beta", "gamma" })
        {
            tokens.Add(await RunAndStopAsync(client, TestPipelines.Echo(), name));
            clock.Advance(TimeSpan.FromSeconds(10));
        }

        var running = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["name"] = "delta" }))["token"]!.GetValue<string>();
        await client.WaitForStateAsync(tokens[2], 6);
        using var http = server.CreateHttpClient();
        async Task<JsonObject> GetAsync(string query, string? auth = "Bearer " + TestServer.ApiKey, HttpStatusCode expected = HttpStatusCode.OK)
        {
            var (status, _, body) = await http.SendRawAsync(HttpMethod.Get, "/history" + query, auth);
            Assert.Equal(expected, status);
            return JsonNode.Parse(body)!.AsObject();
        }

        static string[] Names(JsonObject answer) => answer["data"]!["tasks"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToArray();

        var page = await GetAsync("?limit=2&offset=1");
        Assert.Equal(["gamma.webhook_1", "beta.webhook_1"], Names(page));
        Assert.Equal((4, 1, 2), (page["data"]!["total"]!.GetValue<int>(), page["data"]!["offset"]!.GetValue<int>(), page["data"]!["limit"]!.GetValue<int>()));
        Assert.Equal(["delta.webhook_1"], Names(await GetAsync("?state=RUNNING")));
        Assert.Equal(["alpha.webhook_1", "beta.webhook_1", "delta.webhook_1", "gamma.webhook_1"], Names(await GetAsync("?sort=name&order=asc")));
        Assert.Equal(["beta.webhook_1"], Names(await GetAsync("?name=BET&state=cancelled")));
        Assert.Equal(["beta.webhook_1"], Names(await GetAsync("?token=" + tokens[1][..12])));
        Assert.Equal(["gamma.webhook_1", "beta.webhook_1"], Names(await GetAsync("?from=" + Uri.EscapeDataString("2025-01-01T00:00:05Z") + "&to=" + (Start.ToUnixTimeSeconds() + 25))));
        Assert.Equal(4, (await GetAsync("?source=webhook_1"))["data"]!["total"]!.GetValue<int>());

        // The WebSocket answers the same body for the same arguments.
        var socket = await client.RequestAsync("rrext_get_history", new() { ["limit"] = 2, ["offset"] = 1 });
        Assert.Equal(page["data"]!.ToJsonString(), socket.Body!.ToJsonString());

        Assert.Contains("sort", (await GetAsync("?sort=size", expected: HttpStatusCode.BadRequest))["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await GetAsync(string.Empty, auth: null, expected: HttpStatusCode.Unauthorized);
        Assert.Contains("needs an API key", (await GetAsync(string.Empty, auth: running, expected: HttpStatusCode.Forbidden))["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finished_tasks_are_deleted_from_the_store_after_the_history_retention()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock, o => o with { Retention = TimeSpan.Zero, HistoryRetention = TimeSpan.FromMinutes(10) });
        await using var client = await server.ConnectAsync();
        var token = await RunAndStopAsync(client, TestPipelines.Echo());
        await ForgetInMemoryAsync(server, clock, token);
        Assert.True((await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token })).Success);

        // The sweep runs every minute here (a tenth of the retention, at least a minute).
        clock.Advance(TimeSpan.FromMinutes(11));
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        Protocol.ResponseMessage status;
        while ((status = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token })).Success)
        {
            await Task.Delay(20, timeout.Token);
        }

        // Issue 20: a task that left the history is reported as expired, with when it ended, on every entry point.
        var endedAt = (await server.Services.GetRequiredService<ITaskStore>().FindExpiredAsync(token, CancellationToken.None))!.EndedAt;
        var expected = $"Task expired: it ended at {TaskOutcome.IsoTime(endedAt)} and has left the task history";
        var terminate = await client.RequestAsync("terminate", new() { ["token"] = token });
        var monitor = await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("summary") });
        using var http = server.CreateHttpClient();
        var withKey = await http.SendRawAsync(HttpMethod.Get, $"/task?token={token}", "Bearer " + TestServer.ApiKey);
        var ownToken = await http.SendRawAsync(HttpMethod.Get, $"/task?token={token}");
        var events = await http.SendRawAsync(HttpMethod.Get, $"/task/events?token={token}", "Bearer " + TestServer.ApiKey);
        var unknown = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = "tk_never_issued" });

        Assert.Equal(expected, status.Message);
        Assert.Equal((false, expected), (terminate.Success, terminate.Message));
        Assert.Equal((false, expected), (monitor.Success, monitor.Message));
        Assert.All([withKey, ownToken, events], r => Assert.Equal((HttpStatusCode.Gone, expected), (r.Status, JsonNode.Parse(r.Body)!["error"]!["message"]!.GetValue<string>())));
        Assert.Equal(TaskNotFoundException.Unknown, unknown.Message);
        Assert.Null(await server.Services.GetRequiredService<ITaskStore>().FindTaskAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task A_graceful_shutdown_records_the_tasks_it_stops()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            string token;
            await using (var server = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) }, dataDirectory: dataDirectory))
            {
                await using var client = await server.ConnectAsync();
                token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
            }

            await using var store = new SqliteTaskStore(Path.Combine(dataDirectory, SqliteTaskStore.FileName));
            var record = await store.FindTaskAsync(token, CancellationToken.None);
            Assert.Equal((TaskState.Cancelled, "The host stopped"), (record!.State, record.ExitMessage));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
