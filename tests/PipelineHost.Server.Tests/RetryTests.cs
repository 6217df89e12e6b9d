using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Retry policies, failed items and <c>rrext_retry_failed</c>, with real worker processes.</summary>
public partial class RetryTests
{
    private const string FaultMessage = "fault: failing this object on purpose";

    private static Task<TestServer> StartServerAsync(Func<Hosting.ServerOptions, Hosting.ServerOptions>? options = null) =>
        TestServer.StartAsync(options: o => (options?.Invoke(o) ?? o) with { StopGrace = TimeSpan.FromSeconds(3) });

    [Theory]
    [InlineData("write")]
    [InlineData("close")]
    public async Task A_data_path_object_that_fails_twice_then_succeeds_answers_its_result_and_counts_once_as_completed(string failAt)
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(
            TestPipelines.Flaky(new JsonObject { ["action"] = "throw", ["failTimes"] = 2, ["failAt"] = failAt }),
            new() { ["retry"] = new JsonObject { ["maxRetries"] = 3, ["backoff"] = "fixed", ["delayMs"] = 0 } }))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "hello again", name: "flaky.txt");
        var status = await client.StatusAsync(token);

        Assert.True(result.Success, result.Message);
        Assert.Contains("hello again", result.Body!["text"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((1, 1, 0), (Int(status, "totalCount"), Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.Equal(2, Int(status, "retried"));
        Assert.Equal(3, Int(status, "maxRetry"));
        Assert.Null(status["nextProcessAt"]);
        Assert.StartsWith(FaultMessage, status["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Matches(IsoPattern(), status["lastErrorAt"]!.GetValue<string>());
        Assert.Equal(0, Int(status, "failedItems"));
        Assert.Empty(status["errors"]!.AsArray());
        Assert.False(Directory.Exists(FailedFolder(server, token)));
    }

    [Fact]
    public async Task An_object_that_always_fails_is_kept_as_a_failed_item_with_its_input_and_the_last_error()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(
            TestPipelines.Flaky(new JsonObject { ["action"] = "throw" }),
            new() { ["retry"] = new JsonObject { ["maxRetries"] = 2, ["backoff"] = "exponential", ["delayMs"] = 1 } }))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "broken input", name: "broken.txt");
        var status = await client.StatusAsync(token);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(FailedFolder(server, token), "000001.json")))!.AsObject();

        Assert.False(result.Success);
        Assert.Equal(FaultMessage, result.Message);
        Assert.Equal((1, 0, 1), (Int(status, "totalCount"), Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.Equal(2, Int(status, "retried"));
        Assert.Equal(FaultMessage, status["lastError"]!.GetValue<string>());
        Assert.Matches(IsoPattern(), status["lastErrorAt"]!.GetValue<string>());
        Assert.Equal(1, Int(status, "failedItems"));
        Assert.Equal("broken input", await File.ReadAllTextAsync(Path.Combine(FailedFolder(server, token), "000001.bin")));
        Assert.Equal(("broken.txt", "text/plain", FaultMessage, 3), (
            metadata["name"]!.GetValue<string>(),
            metadata["mimeType"]!.GetValue<string>(),
            metadata["error"]!.GetValue<string>(),
            metadata["attempts"]!.GetValue<int>()));
        Assert.Matches(IsoPattern(), metadata["failedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failed_items_keep_their_input_only_within_the_per_item_and_per_task_caps_and_say_so_in_a_warning()
    {
        await using var server = await StartServerAsync(o => o with { FailedItemMaxBytes = 8, FailedTaskMaxBytes = 12 });
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Flaky(new JsonObject { ["action"] = "throw" })))["token"]!.GetValue<string>();

        foreach (var (name, text) in new[] { ("a.txt", "aaaaa"), ("big.txt", "0123456789"), ("b.txt", "bbbbb"), ("c.txt", "ccccc") })
        {
            Assert.False((await client.SendAsync(token, text, name: name)).Success);
        }

        var status = await client.WaitForStatusAsync(token, s => s["warnings"]!.AsArray().Count == 2);
        var folder = FailedFolder(server, token);

        Assert.Equal(4, Int(status, "failedItems"));
        Assert.Equal(0, Int(status, "retried"));
        Assert.Equal(0, Int(status, "maxRetry"));
        Assert.Equal(["000001.bin", "000001.json", "000002.json", "000003.bin", "000003.json", "000004.json"],
            Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(
            [
                "Failed item \"big.txt\" kept without its input: its input (10 bytes) was larger than the per-item cap of 8 bytes",
                "Failed item \"c.txt\" kept without its input: the task's failed items reached their cap of 12 bytes",
            ],
            status["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_components_own_retry_policy_applies_without_a_task_policy()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Flaky(new JsonObject { ["action"] = "throw", ["failTimes"] = 1 });
        pipeline["components"]![1]!["retry"] = new JsonObject { ["maxRetries"] = 1, ["backoff"] = "fixed", ["delayMs"] = 0 };
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "once more");
        var status = await client.StatusAsync(token);

        Assert.True(result.Success, result.Message);
        Assert.Equal(1, Int(status, "completedCount"));
        Assert.Equal(1, Int(status, "retried"));
        Assert.Equal(0, Int(status, "maxRetry"));
    }

    [Fact]
    public async Task A_batch_source_retries_an_object_by_reading_it_again_and_keeps_the_one_that_never_succeeds()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["count"] = 3, ["size"] = 16, ["mimeType"] = "text/plain" } },
                TestPipelines.Component("flaky_1", "fault", new JsonObject { ["action"] = "throw", ["match"] = "000002", ["failTimes"] = 1 }, "synthetic_1"),
                TestPipelines.Component("broken_1", "fault", new JsonObject { ["action"] = "throw", ["match"] = "000003" }, "flaky_1"),
                TestPipelines.Component("null_1", "null", new JsonObject(), "broken_1")),
            ["source"] = "synthetic_1",
            ["retry"] = new JsonObject { ["maxRetries"] = 1, ["backoff"] = "fixed", ["delayMs"] = 0 },
            ["project_id"] = Guid.NewGuid().ToString(),
        };
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();

        var status = await client.WaitForStateAsync(token, 5);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(FailedFolder(server, token), "000001.json")))!.AsObject();

        Assert.Equal((3, 2, 1), (Int(status, "totalCount"), Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.Equal(2, Int(status, "retried"));
        Assert.Equal(1, Int(status, "maxRetry"));
        Assert.Equal(1, Int(status, "failedItems"));
        Assert.Null(status["nextProcessAt"]);
        Assert.Equal(("synthetic-000003.txt", 2), (metadata["name"]!.GetValue<string>(), metadata["attempts"]!.GetValue<int>()));
        Assert.Equal(16, new FileInfo(Path.Combine(FailedFolder(server, token), "000001.bin")).Length);
        Assert.Equal("batch", status["taskType"]!.GetValue<string>());
        Assert.Null(status["nbItems"]);
        Assert.Null(status["retryOf"]);
    }

    [Fact]
    public async Task Retry_failed_over_the_websocket_reprocesses_the_failed_items_in_a_retry_task_and_a_retry_of_a_retry_works()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var marker = Path.Combine(server.DataDirectory, "dependency-recovered");
        var original = await RunWithTwoFailedItemsAsync(client, marker);

        // The dependency is still down: the retry task fails both again and keeps them itself.
        var firstRetry = await client.RequestAsync("rrext_retry_failed", new() { ["token"] = original.Token });
        Assert.True(firstRetry.Success, firstRetry.Message);
        var first = firstRetry.Body!.AsObject();
        var firstStatus = await client.WaitForStateAsync(first["token"]!.GetValue<string>(), 5, 6);

        File.WriteAllText(marker, "up");
        var secondRetry = await client.RequestAsync("rrext_retry_failed", new() { ["token"] = first["token"]!.GetValue<string>() });
        Assert.True(secondRetry.Success, secondRetry.Message);
        var second = secondRetry.Body!.AsObject();
        var secondStatus = await client.WaitForStateAsync(second["token"]!.GetValue<string>(), 5, 6);

        Assert.Equal(["id", "token", "publicToken", "projectId", "source", "provider", "queued", "queuePosition", "nbItems", "retryOf"], first.Select(p => p.Key).ToArray());
        Assert.NotEqual(original.Token, first["token"]!.GetValue<string>());
        Assert.Equal((2, original.Id), (first["nbItems"]!.GetValue<int>(), first["retryOf"]!.GetValue<string>()));
        Assert.Equal(("webhook_1", "failed_items"), (first["source"]!.GetValue<string>(), first["provider"]!.GetValue<string>()));
        Assert.Equal(original.ProjectId, first["projectId"]!.GetValue<string>());
        Assert.Equal(5, Int(firstStatus, "state"));
        Assert.Equal("retry", firstStatus["taskType"]!.GetValue<string>());
        Assert.Equal((2, 0, 2), (Int(firstStatus, "nbItems"), Int(firstStatus, "nbRemainingItems"), Int(firstStatus, "failedItems")));
        Assert.Equal((0, 2), (Int(firstStatus, "completedCount"), Int(firstStatus, "failedCount")));

        Assert.Equal((2, first["id"]!.GetValue<string>()), (second["nbItems"]!.GetValue<int>(), second["retryOf"]!.GetValue<string>()));
        Assert.Equal(5, Int(secondStatus, "state"));
        Assert.Equal("retry", secondStatus["taskType"]!.GetValue<string>());
        Assert.Equal((2, 0, 0), (Int(secondStatus, "nbItems"), Int(secondStatus, "nbRemainingItems"), Int(secondStatus, "failedItems")));
        Assert.Equal((2, 2, 0), (Int(secondStatus, "totalCount"), Int(secondStatus, "completedCount"), Int(secondStatus, "failedCount")));
        Assert.Equal(first["id"]!.GetValue<string>(), secondStatus["retryOf"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retry_failed_over_http_with_the_finished_tasks_own_token_starts_a_retry_task_that_completes()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var marker = Path.Combine(server.DataDirectory, "dependency-recovered");
        var original = await RunWithTwoFailedItemsAsync(client, marker);
        File.WriteAllText(marker, "up");

        var (code, body) = await PostAsync(http, $"/task/retry-failed?token={original.Token}", original.Token);
        var retry = body["data"]!.AsObject();
        var retryToken = retry["token"]!.GetValue<string>();
        var status = await client.WaitForStateAsync(retryToken, 5, 6);

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal((2, original.Id), (retry["nbItems"]!.GetValue<int>(), retry["retryOf"]!.GetValue<string>()));
        Assert.Equal(5, Int(status, "state"));
        Assert.Equal("retry", status["taskType"]!.GetValue<string>());
        Assert.Equal((2, 0), (Int(status, "completedCount"), Int(status, "failedCount")));
        Assert.Equal((2, 0), (Int(status, "nbItems"), Int(status, "nbRemainingItems")));
    }

    [Fact]
    public async Task Retry_failed_refuses_a_running_task_a_task_with_nothing_to_retry_a_public_key_and_an_unknown_token()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var started = await client.ExecuteAsync(TestPipelines.Flaky(new JsonObject { ["action"] = "throw" }));
        var token = started["token"]!.GetValue<string>();
        Assert.False((await client.SendAsync(token, "x")).Success);

        var running = await client.RequestAsync("rrext_retry_failed", new() { ["token"] = token });
        var publicKey = await PostAsync(http, $"/task/retry-failed?token={token}", started["publicToken"]!.GetValue<string>());
        var unknown = await PostAsync(http, "/task/retry-failed?token=tk_nosuchtask", TestServer.ApiKey);
        var clean = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await client.RequestAsync("terminate", new() { ["token"] = clean });
        var nothing = await client.RequestAsync("rrext_retry_failed", new() { ["token"] = clean });
        var nothingHttp = await PostAsync(http, $"/task/retry-failed?token={clean}", TestServer.ApiKey);

        Assert.False(running.Success);
        Assert.Equal("The task is still running: its failed items can be retried once it has finished", running.Message);
        Assert.Equal(HttpStatusCode.Forbidden, publicKey.Status);
        Assert.Equal("Permission 'task.control' denied", publicKey.Body["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.False(nothing.Success);
        Assert.Equal("Nothing to retry: the task has no failed items", nothing.Message);
        Assert.Equal(HttpStatusCode.BadRequest, nothingHttp.Status);
        Assert.Equal("Nothing to retry: the task has no failed items", nothingHttp.Body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_retry_policy_is_refused_by_execute_post_task_and_validate_with_a_clear_message()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var componentLevel = TestPipelines.Echo();
        componentLevel["components"]![1]!["retry"] = new JsonObject { ["maxRetries"] = 1, ["delayMs"] = -5 };

        var execute = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["retry"] = new JsonObject { ["maxRetries"] = 101 } });
        var validate = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = componentLevel });
        var post = await PostAsync(http, "/task?retry=" + Uri.EscapeDataString("""{"maxRetries":1,"backoff":"linear"}"""), TestServer.ApiKey, TestPipelines.Echo());
        var posted = await PostAsync(http, "/task?retry=" + Uri.EscapeDataString("""{"maxRetries":4,"delayMs":10}"""), TestServer.ApiKey, TestPipelines.Echo());
        var postedStatus = await client.StatusAsync(posted.Body["data"]!["token"]!.GetValue<string>());

        Assert.False(execute.Success);
        Assert.Equal("Argument 'retry': 'maxRetries' must be an integer from 0 to 100", execute.Message);
        Assert.Equal("Component \"response_1\": 'retry': 'delayMs' must be an integer from 0 to 3600000", validate.Body!["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, post.Status);
        Assert.Equal("Argument 'retry': 'backoff' must be \"exponential\" or \"fixed\"", post.Body["error"]!["message"]!.GetValue<string>());
        Assert.Equal(4, Int(postedStatus, "maxRetry"));
    }

    [Fact]
    public async Task Every_retry_field_is_present_and_typed_after_taskType_in_order()
    {
        string[] retryFields = ["taskType", "retried", "maxRetry", "nextProcessAt", "lastError", "lastErrorAt", "failedItems", "nbItems", "nbRemainingItems", "retryOf"];
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var status = await client.StatusAsync(token);
        var keys = status.Select(p => p.Key).ToList();

        Assert.Equal(
            retryFields,
            keys.Where(retryFields.Contains).ToArray());
        Assert.Equal(0, Int(status, "retried"));
        Assert.Equal(0, Int(status, "maxRetry"));
        Assert.Equal(0, Int(status, "failedItems"));
        Assert.All(new[] { "nextProcessAt", "lastError", "lastErrorAt", "nbItems", "nbRemainingItems", "retryOf" }, k => Assert.Null(status[k]));
        Assert.True(status.ContainsKey("nextProcessAt"));
        var empty = Engine.Tasks.TaskStatusWriter.Empty(4).Select(p => p.Key).ToList();
        Assert.Equal(keys.Skip(keys.IndexOf("taskType")), empty.Skip(empty.IndexOf("taskType")));
    }

    [Fact]
    public async Task While_a_retry_waits_the_status_shows_when_it_is_due_and_a_stop_clears_it()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        await using var sender = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(
            TestPipelines.Flaky(new JsonObject { ["action"] = "throw" }),
            new() { ["retry"] = new JsonObject { ["maxRetries"] = 1, ["backoff"] = "fixed", ["delayMs"] = 600_000 } }))["token"]!.GetValue<string>();

        // The close answer waits for the retry, ten minutes away: the sender stays blocked while we look.
        var send = sender.SendAsync(token, "later", name: "later.txt");
        var waiting = await client.WaitForStatusAsync(token, s => s["nextProcessAt"] is not null);
        await client.RequestAsync("terminate", new() { ["token"] = token });
        var result = await send.WaitAsync(TestTimeouts.Default);
        var stopped = await client.StatusAsync(token);

        var due = DateTimeOffset.Parse(waiting["nextProcessAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var failedAt = DateTimeOffset.Parse(waiting["lastErrorAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches(IsoPattern(), waiting["nextProcessAt"]!.GetValue<string>());
        // Due the delay after the failure was recorded (not a measure of speed: anything short of a second delay passes).
        Assert.InRange(due - failedAt, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(20) - TimeSpan.FromTicks(1));
        Assert.Equal(0, Int(waiting, "retried"));
        Assert.Equal(1, Int(waiting, "maxRetry"));
        Assert.Equal(FaultMessage, waiting["lastError"]!.GetValue<string>());
        Assert.False(result.Success);
        Assert.Equal(6, Int(stopped, "state"));
        Assert.Null(stopped["nextProcessAt"]);
        Assert.Equal(0, Int(stopped, "retried"));
    }

    [Fact]
    public async Task Retry_failed_works_for_a_task_only_the_history_still_knows_after_a_server_restart()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            var marker = Path.Combine(dataDirectory, "dependency-recovered");
            (string Token, string Id, string ProjectId) original;
            await using (var first = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) }, dataDirectory: dataDirectory))
            {
                await using var client = await first.ConnectAsync();
                original = await RunWithTwoFailedItemsAsync(client, marker);
            }

            File.WriteAllText(marker, "up");
            await using var second = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) }, dataDirectory: dataDirectory);
            await using var again = await second.ConnectAsync();
            var stored = await again.StatusAsync(original.Token);
            var retry = await again.RequestAsync("rrext_retry_failed", new() { ["token"] = original.Token });
            Assert.True(retry.Success, retry.Message);
            var status = await again.WaitForStateAsync(retry.Body!["token"]!.GetValue<string>(), 5, 6);

            Assert.Equal(2, Int(stored, "failedItems"));
            Assert.Equal((2, original.Id), (retry.Body["nbItems"]!.GetValue<int>(), retry.Body["retryOf"]!.GetValue<string>()));
            Assert.Equal(5, Int(status, "state"));
            Assert.Equal((2, 0), (Int(status, "completedCount"), Int(status, "failedCount")));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>webhook → fault(match "bad", off once <paramref name="marker"/> exists) → response; 3 objects sent, 2 failed; then stopped.</summary>
    private static async Task<(string Token, string Id, string ProjectId)> RunWithTwoFailedItemsAsync(DapTestClient client, string marker)
    {
        var started = await client.ExecuteAsync(TestPipelines.Flaky(new JsonObject { ["action"] = "throw", ["match"] = "bad", ["passIfExists"] = marker }));
        var token = started["token"]!.GetValue<string>();
        Assert.True((await client.SendAsync(token, "fine", name: "good.txt")).Success);
        Assert.False((await client.SendAsync(token, "first bad", name: "bad-1.txt")).Success);
        Assert.False((await client.SendAsync(token, "second bad", name: "bad-2.txt")).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var status = await client.StatusAsync(token);
        Assert.Equal(2, Int(status, "failedItems"));
        return (token, started["id"]!.GetValue<string>(), started["projectId"]!.GetValue<string>());
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient http, string url, string credential, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    // Task folders are keyed by the task's internal key, never by its token.
    private static string FailedFolder(TestServer server, string token) => Path.Combine(
        server.DataDirectory,
        "tasks",
        server.Services.GetRequiredService<Engine.Tasks.TaskManager>().GetTask(token, Engine.Security.Caller.ForApiKey(), Engine.Security.Permissions.Monitor).Identity.Key,
        "failed");

    private static long Int(JsonObject status, string field) => status[field]!.GetValue<long>();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex IsoPattern();
}
