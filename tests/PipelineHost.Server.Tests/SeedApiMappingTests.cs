using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// protocol-spec/seed-apis.md, row by row: what a user of DriveQuant, QStash, Beam, Flexprice or RocketRide polls
/// for, read where that page says it is, mostly over HTTP <c>GET /task?token=</c> as those APIs are polled, against
/// a real server with real worker processes. Every row of the page names one of these tests.
/// </summary>
public partial class SeedApiMappingTests
{
    private const string FaultMessage = "fault: failing this object on purpose";
    private const string SigningKey = "seed-mapping-key";

    private static Task<TestServer> StartServerAsync(int maxConcurrentTasks = 16) => TestServer.StartAsync(options: o => o with
    {
        StopGrace = TimeSpan.FromSeconds(3),
        MaxConcurrentTasks = maxConcurrentTasks,
        Callbacks = new CallbackOptions { SigningKey = SigningKey, AllowPrivateNetworks = true },
    });

    [Fact]
    public async Task Every_status_word_maps_to_a_status_name_a_state_and_an_exit_reason()
    {
        await using var server = await StartServerAsync(maxConcurrentTasks: 1);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var running = Token(await client.ExecuteAsync(TestPipelines.Echo()));
        var inProgress = await GetStatusAsync(http, running);
        var queuedStart = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["expires"] = 2 });
        var queued = Token(queuedStart);
        var pending = await GetStatusAsync(http, queued);
        await client.WaitForStateAsync(queued, 6);
        var expired = await GetStatusAsync(http, queued);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = running })).Success);
        var canceled = await GetStatusAsync(http, running);

        var timesOut = Token(await client.ExecuteAsync(TestPipelines.Echo(), new() { ["timeout"] = 1 }));
        await client.WaitForStateAsync(timesOut, 6);
        var timeout = await GetStatusAsync(http, timesOut);

        var crashes = Token(await client.ExecuteAsync(TestPipelines.Faulty("exit", exitCode: 3)));
        Assert.False((await client.SendAsync(crashes, "crash now")).Success);
        await client.WaitForStateAsync(crashes, 6);
        var failed = await GetStatusAsync(http, crashes);

        var batch = await RunBatchAsync(client, Synthetic(2));
        var completed = await GetStatusAsync(http, batch);

        Assert.Equal(("IN_PROGRESS", 3), Word(inProgress));
        Assert.Null(inProgress["exitReason"]);
        Assert.Null(inProgress["completedAt"]);
        Assert.True(queuedStart["queued"]!.GetValue<bool>());
        Assert.Equal(("PENDING", 0), Word(pending));
        Assert.Equal(("Queued", 1), (pending["status"]!.GetValue<string>(), pending["queuePosition"]!.GetValue<int>()));
        Assert.Null(pending["exitReason"]);
        Assert.Equal(("EXPIRED", 6, "expired"), WordAndReason(expired));
        Assert.Null(expired["startedAt"]);
        Assert.Equal(("CANCELED", 6, "cancelled"), WordAndReason(canceled));
        Assert.Equal(("TIMEOUT", 6, "timeout"), WordAndReason(timeout));
        Assert.Equal(("FAILED", 6, "failed"), WordAndReason(failed));
        Assert.Equal(3, failed["exitCode"]!.GetValue<int>());
        Assert.Equal(("COMPLETED", 5, "completed"), WordAndReason(completed));

        // Beam's ended_at, DriveQuant's and QStash's completedAt, and (for FAILED) Flexprice's failed_at: one field,
        // set once the task is final, the instant of RocketRide's endTime.
        foreach (var final in new[] { expired, canceled, timeout, failed, completed })
        {
            var completedAt = Iso(final, "completedAt");
            Assert.Equal(final["endTime"]!.GetValue<double>(), completedAt.ToUnixTimeMilliseconds() / 1000.0, 3);
            Assert.True(completedAt >= Iso(final, "createdAt"));
        }
    }

    [Fact]
    public async Task A_retry_task_reports_the_drivequant_type_items_and_remaining_items()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var marker = Path.Combine(server.DataDirectory, "dependency-recovered");
        var original = await client.ExecuteAsync(TestPipelines.Flaky(new JsonObject { ["action"] = "throw", ["match"] = "bad", ["passIfExists"] = marker }));
        var originalToken = Token(original);
        Assert.True((await client.SendAsync(originalToken, "fine", name: "good.txt")).Success);
        Assert.False((await client.SendAsync(originalToken, "first bad", name: "bad-1.txt")).Success);
        Assert.False((await client.SendAsync(originalToken, "second bad", name: "bad-2.txt")).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = originalToken })).Success);
        await File.WriteAllTextAsync(marker, "up");

        // DriveQuant's "request to retry failed trips", then its GET /task/{taskId} polling loop.
        var (code, body) = await SendAsync(http, HttpMethod.Post, $"/task/retry-failed?token={originalToken}");
        var retry = body["data"]!.AsObject();
        var status = await PollUntilCompletedAsync(http, Token(retry));

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(retry["id"]!.GetValue<string>(), status["id"]!.GetValue<string>());
        Assert.Equal("retry", status["taskType"]!.GetValue<string>());
        Assert.Equal(original["id"]!.GetValue<string>(), status["retryOf"]!.GetValue<string>());
        Assert.Equal("COMPLETED", status["statusName"]!.GetValue<string>());
        Assert.Equal((2, 0), (Int(status, "nbItems"), Int(status, "nbRemainingItems")));
        Assert.Equal((2, 0), (Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.True(Iso(status, "completedAt") >= Iso(status, "createdAt"));

        // A task that is not a retry has no DriveQuant item counts; its batch counterpart is remainingCount.
        var plain = await GetStatusAsync(http, originalToken);
        Assert.Equal(("pipeline", null, null), (plain["taskType"]!.GetValue<string>(), plain["nbItems"], plain["nbRemainingItems"]));
    }

    [Fact]
    public async Task A_waiting_retry_shows_the_qstash_retry_fields_and_the_last_error()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        await using var sender = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        // QStash "retrying": the object failed once and its retry is ten minutes away.
        var waitingStart = await client.ExecuteAsync(
            TestPipelines.Flaky(new JsonObject { ["action"] = "throw" }),
            new() { ["retry"] = new JsonObject { ["maxRetries"] = 1, ["backoff"] = "fixed", ["delayMs"] = 600_000 } });
        var waitingToken = Token(waitingStart);
        var send = sender.SendAsync(waitingToken, "later", name: "later.txt");
        await client.WaitForStatusAsync(waitingToken, s => s["nextProcessAt"] is not null);
        var retrying = await GetStatusAsync(http, waitingToken);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = waitingToken })).Success);
        await send.WaitAsync(TestTimeouts.Default);

        // Retries used up: the failure is final, nothing waits.
        var exhaustedToken = Token(await client.ExecuteAsync(
            TestPipelines.Flaky(new JsonObject { ["action"] = "throw" }),
            new() { ["retry"] = new JsonObject { ["maxRetries"] = 2, ["backoff"] = "fixed", ["delayMs"] = 0 } }));
        Assert.False((await client.SendAsync(exhaustedToken, "never works", name: "broken.txt")).Success);
        var exhausted = await GetStatusAsync(http, exhaustedToken);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = exhaustedToken })).Success);
        var ended = await GetStatusAsync(http, exhaustedToken);

        Assert.Equal(waitingStart["id"]!.GetValue<string>(), retrying["id"]!.GetValue<string>());
        Assert.Equal(("IN_PROGRESS", 3), Word(retrying));
        Assert.Equal((0, 1), (Int(retrying, "retried"), Int(retrying, "maxRetry")));
        Assert.Equal(FaultMessage, retrying["lastError"]!.GetValue<string>());
        Assert.InRange(Iso(retrying, "nextProcessAt") - Iso(retrying, "lastErrorAt"), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(11));
        Assert.Null(retrying["completedAt"]);

        Assert.Equal((2, 2), (Int(exhausted, "retried"), Int(exhausted, "maxRetry")));
        Assert.Null(exhausted["nextProcessAt"]);
        Assert.Equal(FaultMessage, exhausted["lastError"]!.GetValue<string>());
        Assert.True(Iso(exhausted, "lastErrorAt") >= Iso(exhausted, "startedAt"));
        Assert.Equal("CANCELED", ended["statusName"]!.GetValue<string>());
        Assert.True(Iso(ended, "completedAt") >= Iso(ended, "lastErrorAt"));
    }

    [Fact]
    public async Task A_callback_url_is_the_qstash_url_masked_with_its_delivery()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var token = Token(await client.ExecuteAsync(TestPipelines.Echo(), new() { ["callbackUrl"] = receiver.Url("/hooks/done?secret=abc") }));
        var before = await GetStatusAsync(http, token);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var delivered = await receiver.NextAsync();
        var after = await client.WaitForStatusAsync(token, s => s["callback"]?["state"]?.GetValue<string>() == "delivered");

        Assert.Equal(receiver.Url("/hooks/done?***"), before["callback"]!["url"]!.GetValue<string>());
        Assert.Equal("pending", before["callback"]!["state"]!.GetValue<string>());
        Assert.Equal("/hooks/done?secret=abc", delivered.PathAndQuery);
        Assert.Equal(receiver.Url("/hooks/done?***"), after["callback"]!["url"]!.GetValue<string>());
        Assert.Equal(200, after["callback"]!["attempts"]![0]!["statusCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Queue_stats_config_name_and_times_answer_the_beam_fields()
    {
        await using var server = await StartServerAsync(maxConcurrentTasks: 1);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var pipeline = TestPipelines.Echo();

        var runningStart = await client.ExecuteAsync(pipeline, new() { ["name"] = "squared", ["timeout"] = 3600, ["expires"] = 60, ["threads"] = 4 });
        var running = Token(runningStart);
        var queued = Token(await client.ExecuteAsync(TestPipelines.Echo()));
        var status = await GetStatusAsync(http, running, config: true);
        var waiting = await GetStatusAsync(http, queued);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = queued })).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = running })).Success);

        Assert.Equal(runningStart["id"]!.GetValue<string>(), status["id"]!.GetValue<string>());
        Assert.Equal(pipeline["project_id"]!.GetValue<string>(), status["project_id"]!.GetValue<string>());
        Assert.Equal("squared.webhook_1", status["name"]!.GetValue<string>());
        Assert.Equal(("pipeline", "webhook"), (status["taskType"]!.GetValue<string>(), status["provider"]!.GetValue<string>()));
        Assert.Equal((1, 1), (status["stats"]!["queueDepth"]!.GetValue<int>(), status["stats"]!["activeWorkers"]!.GetValue<int>()));
        Assert.Equal((1, 1), (waiting["stats"]!["queueDepth"]!.GetValue<int>(), waiting["stats"]!["activeWorkers"]!.GetValue<int>()));
        Assert.True(Iso(status, "startedAt") >= Iso(status, "createdAt"));
        Assert.Null(waiting["startedAt"]);

        // Beam's stub.config, as an object; QStash's deadline is startedAt + timeout.
        var config = status["config"]!.AsObject();
        Assert.Equal((4, 3600.0, 60.0), (config["threads"]!.GetValue<int>(), config["timeout"]!.GetValue<double>(), config["expires"]!.GetValue<double>()));
        var deadline = Iso(status, "startedAt").AddSeconds(config["timeout"]!.GetValue<double>());
        Assert.Equal(TimeSpan.FromHours(1), deadline - Iso(status, "startedAt"));
        Assert.False(waiting.ContainsKey("config"));
    }

    [Fact]
    public async Task A_batch_reports_the_flexprice_record_counts_error_summary_and_files()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["count"] = 4, ["size"] = 16, ["mimeType"] = "text/plain" } },
                TestPipelines.Component("fault_1", "fault", new JsonObject { ["action"] = "throw", ["match"] = "000003" }, "synthetic_1"),
                TestPipelines.Component("writer_1", "writer", new JsonObject(), "fault_1")),
            ["source"] = "synthetic_1",
            ["project_id"] = Guid.NewGuid().ToString(),
        };

        var token = await RunBatchAsync(client, pipeline);
        var status = await PollUntilCompletedAsync(http, token);
        var outputs = status["outputs"]!.AsArray().Select(o => o!.AsObject()).ToList();
        var first = outputs[0];
        var (code, headers, bytes) = await DownloadAsync(http, $"/task/output?token={token}&name={Uri.EscapeDataString(first["name"]!.GetValue<string>())}");

        Assert.Equal(("COMPLETED", "batch"), (status["statusName"]!.GetValue<string>(), status["taskType"]!.GetValue<string>()));
        Assert.Equal((4, 3, 1), (Int(status, "totalCount"), Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.Equal(4, Int(status, "completedCount") + Int(status, "failedCount")); // processed_records
        Assert.Equal(0, Int(status, "remainingCount"));
        Assert.Equal($$"""[{"message":"{{FaultMessage}}","count":1}]""", status["errorSummary"]!.ToJsonString());
        Assert.Equal(3, outputs.Count);
        Assert.All(outputs, o => Assert.Equal("text/plain; charset=utf-8", o["contentType"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(first["contentType"]!.GetValue<string>(), headers.ContentType!.ToString());
        Assert.Equal(first["size"]!.GetValue<long>(), bytes.Length);
        Assert.True(Iso(status, "createdAt") <= Iso(status, "startedAt"));
        Assert.True(Iso(status, "startedAt") <= Iso(status, "completedAt"));
        Assert.False(string.IsNullOrEmpty(status["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Updated_at_moves_with_progress_and_not_with_the_sampled_metrics()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var token = Token(await client.ExecuteAsync(TestPipelines.Echo()));

        // Let the start settle, then stay idle for several 250 ms samples of the worker's CPU and memory.
        await Task.Delay(500);
        var idleStart = await GetStatusAsync(http, token);
        await Task.Delay(1000);
        var idleEnd = await GetStatusAsync(http, token);
        Assert.True((await client.SendAsync(token, "progress")).Success);
        var afterData = await GetStatusAsync(http, token);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var final = await GetStatusAsync(http, token);

        Assert.True(Iso(idleStart, "updatedAt") >= Iso(idleStart, "startedAt"));
        Assert.Equal(idleStart["updatedAt"]!.GetValue<string>(), idleEnd["updatedAt"]!.GetValue<string>());
        Assert.True(Iso(afterData, "updatedAt") > Iso(idleEnd, "updatedAt"));
        Assert.True(Iso(final, "updatedAt") >= Iso(final, "completedAt"));
    }

    [Fact]
    public async Task Rocketride_fields_keep_their_names_and_types_over_the_websocket_and_http()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var token = await RunBatchAsync(client, Synthetic(3));
        var overWebSocket = await client.StatusAsync(token);
        var overHttp = await GetStatusAsync(http, token);

        foreach (var status in new[] { overWebSocket, overHttp })
        {
            Assert.Equal(5, status["state"]!.GetValue<int>());
            Assert.True(status["completed"]!.GetValue<bool>());
            foreach (var text in new[] { "name", "project_id", "source", "status", "currentObject", "exitMessage" })
            {
                Assert.Equal(JsonValueKind.String, status[text]!.GetValueKind());
            }

            Assert.True(status["startTime"]!.GetValue<double>() > 1_000_000_000);
            Assert.True(status["endTime"]!.GetValue<double>() >= status["startTime"]!.GetValue<double>());
            Assert.Equal((3, 3, 0), (Int(status, "totalCount"), Int(status, "completedCount"), Int(status, "failedCount")));
            Assert.Equal((3 * 16, 3 * 16), (Int(status, "totalSize"), Int(status, "completedSize")));
            Assert.Equal(JsonValueKind.Number, status["rateCount"]!.GetValueKind());
            Assert.Equal(JsonValueKind.Number, status["rateSize"]!.GetValueKind());
            Assert.Empty(status["errors"]!.AsArray());
            Assert.Equal(JsonValueKind.Array, status["warnings"]!.GetValueKind());
            Assert.Equal(0, status["exitCode"]!.GetValue<int>());
            Assert.Equal(
                ["cpu_percent", "cpu_memory_mb", "gpu_memory_mb", "peak_cpu_percent", "peak_cpu_memory_mb", "peak_gpu_memory_mb"],
                status["metrics"]!.AsObject().Select(p => p.Key).Where(k => !k.StartsWith("avg_", StringComparison.Ordinal)));
            Assert.All(status["metrics"]!.AsObject(), p => Assert.Equal(JsonValueKind.Number, p.Value!.GetValueKind()));
            Assert.Equal(["cpu_utilization", "cpu_memory", "gpu_memory", "gpu_inference", "custom", "total"], status["tokens"]!.AsObject().Select(p => p.Key));
            Assert.Equal(JsonValueKind.Number, status["pipeflow"]!["totalPipes"]!.GetValueKind());
            Assert.Equal(JsonValueKind.Object, status["pipeflow"]!["byPipe"]!.GetValueKind());
        }

        Assert.Equal(overWebSocket.Select(p => p.Key), overHttp.Select(p => p.Key));
    }

    [Fact]
    public void Every_row_names_a_test_of_the_mapping_suite()
    {
        var tests = typeof(SeedApiMappingTests).GetMethods()
            .Where(m => m.GetCustomAttributes<FactAttribute>().Any() && m.Name != nameof(Every_row_names_a_test_of_the_mapping_suite)
                && m.Name != nameof(Every_field_of_every_seed_api_has_a_row_or_a_reason))
            .Select(m => m.Name)
            .ToHashSet(StringComparer.Ordinal);
        var rows = MappingRows().ToList();

        Assert.True(rows.Count >= 70, $"only {rows.Count} mapping rows found");
        Assert.All(rows, row => Assert.True(
            BacktickedName().Match(row.Test) is { Success: true } m && m.Value.Trim('`') is var name && tests.Contains(name),
            $"The row for {row.Field} names no test of {nameof(SeedApiMappingTests)}: '{row.Test}'"));
        Assert.DoesNotContain(tests, t => !rows.Any(r => r.Test == $"`{t}`"));
    }

    [Fact]
    public void Every_field_of_every_seed_api_has_a_row_or_a_reason()
    {
        // The fields each seed API documents for its task (../shared/seeds); parent objects (Beam's stats, stub) are covered by their children.
        var seeds = new Dictionary<string, string[]>
        {
            ["DriveQuant"] = ["taskId", "createdAt", "completedAt", "type", "status", "nbItems", "nbRemainingItems"],
            ["QStash"] = ["completedAt", "deadline", "error", "lastErrorAt", "maxRetry", "messageId", "nextProcessAt", "retried", "state", "taskId", "url"],
            ["Beam"] = ["id", "started_at", "ended_at", "status", "container_id", "updated_at", "created_at", "outputs", "stats.active_containers", "stats.queue_depth",
                "stub.id", "stub.name", "stub.type", "stub.config", "stub.config_version", "stub.object_id", "stub.created_at", "stub.updated_at"],
            ["Flexprice"] = ["completed_at", "created_at", "created_by", "entity_type", "environment_id", "error_summary", "failed_at", "failed_records", "file_name",
                "file_type", "file_url", "id", "metadata", "processed_records", "scheduled_task_id", "started_at", "status", "successful_records", "task_status",
                "task_type", "tenant_id", "total_records", "updated_at", "updated_by", "workflow_id"],
            ["RocketRide"] = ["state", "completed", "name", "project_id", "source", "startTime", "endTime", "totalCount", "completedCount", "failedCount", "totalSize",
                "completedSize", "rateCount", "rateSize", "errors", "warnings", "status", "currentObject", "exitCode", "exitMessage", "metrics", "tokens", "pipeflow"],
        };
        var rows = MappingRows().ToLookup(r => r.Api, r => r.Field);
        var reasons = NoCounterpartBullets().ToList();

        foreach (var (api, fields) in seeds)
        {
            foreach (var field in fields)
            {
                var mapped = rows[api].Contains(field);
                var explained = reasons.Any(b => b.Api == api && b.Fields.Contains(field));
                Assert.True(mapped ^ explained, $"{api} '{field}': {(mapped ? "both mapped and listed as having no counterpart" : "neither mapped nor explained")} in seed-apis.md");
            }
        }
    }

    private sealed record MappingRow(string Api, string Field, string Test);

    /// <summary>The data rows of seed-apis.md's tables, each with the API of the section it is in (the status words table counts as none).</summary>
    private static IEnumerable<MappingRow> MappingRows()
    {
        string? api = null;
        foreach (var line in File.ReadLines(SeedApisPage()))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                api = line[3..].Split(' ')[0] switch { "Upstash" => "QStash", var word => word };
                continue;
            }

            if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("|---", StringComparison.Ordinal))
            {
                continue;
            }

            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[^1] == "test")
            {
                continue; // a header row
            }

            yield return new MappingRow(api ?? string.Empty, cells[0].Trim('`'), cells[^1]);
        }
    }

    /// <summary>The bullets of "Fields with no PipelineHost counterpart": "- Api `field`, `field`: why".</summary>
    private static IEnumerable<(string Api, HashSet<string> Fields)> NoCounterpartBullets()
    {
        var text = File.ReadAllText(SeedApisPage());
        var section = text[text.IndexOf("## Fields with no PipelineHost counterpart", StringComparison.Ordinal)..];
        foreach (Match bullet in Bullet().Matches(section))
        {
            var names = BacktickedName().Matches(bullet.Groups["fields"].Value).Select(m => m.Value.Trim('`'));
            yield return (bullet.Groups["api"].Value, names.ToHashSet(StringComparer.Ordinal));
        }
    }

    private static string SeedApisPage()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var page = Path.Combine(dir.FullName, "protocol-spec", "seed-apis.md");
            if (File.Exists(page))
            {
                return page;
            }
        }

        throw new FileNotFoundException("protocol-spec/seed-apis.md not found above the test binaries");
    }

    [GeneratedRegex(@"`[^`]+`")]
    private static partial Regex BacktickedName();

    [GeneratedRegex(@"^- (?<api>\w+) (?<fields>[^:]*):", RegexOptions.Multiline)]
    private static partial Regex Bullet();

    private static JsonObject Synthetic(int count) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["count"] = count, ["size"] = 16, ["mimeType"] = "text/plain" } },
            TestPipelines.Component("null_1", "null", new JsonObject(), "synthetic_1")),
        ["source"] = "synthetic_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    /// <summary>Starts a batch under a token of our choosing and waits for its end (it may finish before execute answers).</summary>
    private static async Task<string> RunBatchAsync(DapTestClient client, JsonObject pipeline)
    {
        var token = "tk_" + Guid.NewGuid().ToString("N");
        var started = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline, ["token"] = token });
        Assert.True(started.Success, started.Message);
        await client.WaitForStateAsync(token, 5, 6);
        return token;
    }

    /// <summary>The seed APIs' polling loop: GET the status until it says the task is over.</summary>
    private static async Task<JsonObject> PollUntilCompletedAsync(HttpClient http, string token)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var status = await GetStatusAsync(http, token);
            if (status["completed"]!.GetValue<bool>())
            {
                return status;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<JsonObject> GetStatusAsync(HttpClient http, string token, bool config = false)
    {
        var (code, body) = await SendAsync(http, HttpMethod.Get, $"/task?token={token}{(config ? "&config=true" : string.Empty)}");
        Assert.Equal(HttpStatusCode.OK, code);
        return body["data"]!.AsObject();
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpClient http, HttpMethod method, string url)
    {
        var (status, _, body) = await http.SendRawAsync(method, url, "Bearer " + TestServer.ApiKey);
        return (status, JsonNode.Parse(body)!.AsObject());
    }

    private static Task<(HttpStatusCode Status, HttpContentHeaders Headers, byte[] Body)> DownloadAsync(HttpClient http, string url) =>
        http.SendRawAsync(HttpMethod.Get, url, "Bearer " + TestServer.ApiKey);

    private static string Token(JsonObject started) => started["token"]!.GetValue<string>();

    private static long Int(JsonObject status, string field) => status[field]!.GetValue<long>();

    private static DateTimeOffset Iso(JsonObject status, string field) =>
        DateTimeOffset.Parse(status[field]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static (string, int) Word(JsonObject status) => (status["statusName"]!.GetValue<string>(), status["state"]!.GetValue<int>());

    private static (string, int, string?) WordAndReason(JsonObject status) =>
        (status["statusName"]!.GetValue<string>(), status["state"]!.GetValue<int>(), status["exitReason"]?.GetValue<string>());
}
