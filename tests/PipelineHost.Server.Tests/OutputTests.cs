using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// The seed-API status fields a pipeline produces: <c>outputs</c> (and <c>GET /task/output</c>), <c>remainingCount</c>,
/// <c>errorSummary</c>; with real workers and real batch sources.
/// </summary>
public sealed class OutputTests : IDisposable
{
    private readonly string _inbox = Path.Combine(Path.GetTempPath(), "pipelinehost-output-tests", Guid.NewGuid().ToString("N"));

    public OutputTests()
    {
        Directory.CreateDirectory(_inbox);
        File.WriteAllText(Path.Combine(_inbox, "alpha.txt"), "alpha words here");
        File.WriteAllText(Path.Combine(_inbox, "beta.md"), "beta ☃");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_inbox, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<TestServer> StartAsync(string? dataDirectory = null) => TestServer.StartAsync(
        options: o => o with { StopGrace = TimeSpan.FromSeconds(3), AllowedRoots = [_inbox] },
        dataDirectory: dataDirectory);

    private JsonObject FolderToWriter() => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "files_1", ["provider"] = "filesys", ["config"] = new JsonObject { ["mode"] = "Source", ["path"] = _inbox } },
            new JsonObject { ["id"] = "writer_1", ["provider"] = "writer", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "files_1" }) }),
        ["source"] = "files_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    private static JsonObject SyntheticToNull(int count) => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["count"] = count, ["size"] = 256, ["mimeType"] = "text/plain" } },
            new JsonObject { ["id"] = "null_1", ["provider"] = "null", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "synthetic_1" }) }),
        ["source"] = "synthetic_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    /// <summary>
    /// Starts a batch task under a token of our choosing and waits for its end. A batch this small may finish
    /// before <c>execute</c> sees it running (it then answers "Task has already completed"); the token is ours,
    /// so the task is found either way.
    /// </summary>
    private static async Task<(string Token, JsonObject Final)> RunBatchAsync(DapTestClient client, JsonObject pipeline)
    {
        var token = "tk_" + Guid.NewGuid().ToString("N");
        var started = await client.RequestAsync("execute", new() { ["pipeline"] = pipeline, ["token"] = token });
        Assert.True(started.Success || started.Message == "Task has already completed", started.Message);
        return (token, await client.WaitForStateAsync(token, 5, 6));
    }

    private static Task<(HttpStatusCode Status, HttpContentHeaders Headers, byte[] Body)> GetAsync(HttpClient http, string url, string? authorization = null) =>
        http.SendRawAsync(HttpMethod.Get, url, authorization);

    private static string ErrorMessage(byte[] body) => JsonNode.Parse(body)!["error"]!["message"]!.GetValue<string>();

    [Fact]
    public async Task Writer_files_are_listed_in_outputs_and_download_with_their_content_type_and_name()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var (token, final) = await RunBatchAsync(client, FolderToWriter());
        var outputs = final["outputs"]!.AsArray();
        var byTaskToken = await GetAsync(http, $"/task/output?token={token}&name=alpha.txt.txt");
        var byApiKey = await GetAsync(http, $"/task/output?token={token}&name=beta.md.txt", "Bearer " + TestServer.ApiKey);

        Assert.Equal(5, final["state"]!.GetValue<int>());
        Assert.Equal(
            """[{"name":"alpha.txt.txt","size":16,"contentType":"text/plain; charset=utf-8"},{"name":"beta.md.txt","size":8,"contentType":"text/plain; charset=utf-8"}]""",
            new JsonArray(outputs.OrderBy(o => o!["name"]!.GetValue<string>(), StringComparer.Ordinal).Select(o => o!.DeepClone()).ToArray()).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, byTaskToken.Status);
        Assert.Equal("text/plain; charset=utf-8", byTaskToken.Headers.ContentType!.ToString());
        Assert.Equal("alpha.txt.txt", byTaskToken.Headers.ContentDisposition!.FileName);
        Assert.Equal("attachment", byTaskToken.Headers.ContentDisposition.DispositionType);
        Assert.Equal("alpha words here", Encoding.UTF8.GetString(byTaskToken.Body));
        Assert.Equal(HttpStatusCode.OK, byApiKey.Status);
        Assert.Equal("beta ☃", Encoding.UTF8.GetString(byApiKey.Body));
        Assert.Equal(0, final["remainingCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Only_a_listed_name_downloads_traversal_and_unlisted_files_are_404_and_a_public_key_is_403()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var (token, _) = await RunBatchAsync(client, FolderToWriter());
        var folder = Path.Combine(Directory.GetDirectories(Path.Combine(server.DataDirectory, "tasks")).Single(), "output"); // keyed by the task's internal key
        await File.WriteAllTextAsync(Path.Combine(folder, "unlisted.txt"), "not the writer's");
        var key = "Bearer " + TestServer.ApiKey;

        var traversal = await GetAsync(http, $"/task/output?token={token}&name=" + Uri.EscapeDataString("../../pipelinehost.db"), key);
        var traversalUp = await GetAsync(http, $"/task/output?token={token}&name=" + Uri.EscapeDataString("../output/alpha.txt.txt"), key);
        var absolute = await GetAsync(http, $"/task/output?token={token}&name=" + Uri.EscapeDataString(Path.Combine(folder, "alpha.txt.txt")), key);
        var unlisted = await GetAsync(http, $"/task/output?token={token}&name=unlisted.txt", key);
        var unknown = await GetAsync(http, $"/task/output?token={token}&name=nope.txt", key);
        var noName = await GetAsync(http, $"/task/output?token={token}", key);
        var unknownTask = await GetAsync(http, "/task/output?token=tk_nobody&name=alpha.txt.txt", key);
        var noCredential = await GetAsync(http, "/task/output?token=not-a-task-token&name=alpha.txt.txt");

        foreach (var (reply, name) in new[] { (traversal, "../../pipelinehost.db"), (traversalUp, "../output/alpha.txt.txt"), (absolute, Path.Combine(folder, "alpha.txt.txt")), (unlisted, "unlisted.txt"), (unknown, "nope.txt") })
        {
            Assert.Equal(HttpStatusCode.NotFound, reply.Status);
            Assert.Equal("application/json", reply.Headers.ContentType!.MediaType);
            Assert.Equal($"Output '{name}' not found", ErrorMessage(reply.Body));
        }

        Assert.Equal((HttpStatusCode.BadRequest, "Argument 'name' is required."), (noName.Status, ErrorMessage(noName.Body)));
        Assert.Equal((HttpStatusCode.NotFound, "Your pipeline is not running: unknown task"), (unknownTask.Status, ErrorMessage(unknownTask.Body)));
        Assert.Equal(HttpStatusCode.Unauthorized, noCredential.Status);
    }

    [Fact]
    public async Task A_public_key_sends_data_but_may_not_download_outputs()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject { ["id"] = "writer_1", ["provider"] = "writer", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
            ["source"] = "webhook_1",
        };
        var started = await client.ExecuteAsync(pipeline);
        var (token, publicKey) = (started["token"]!.GetValue<string>(), started["publicToken"]!.GetValue<string>());
        Assert.True((await client.SendAsync(token, "kept", name: "note.txt")).Success);

        var status = await client.WaitForStatusAsync(token, s => s["outputs"]!.AsArray().Count == 1);
        var byPublicKey = await GetAsync(http, "/task/output?name=note.txt.txt", "Bearer " + publicKey);
        var byTaskToken = await GetAsync(http, "/task/output?name=note.txt.txt", "Bearer " + token);

        Assert.Equal("""[{"name":"note.txt.txt","size":4,"contentType":"text/plain; charset=utf-8"}]""", status["outputs"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.Forbidden, byPublicKey.Status);
        Assert.Equal("Permission 'task.monitor' denied", ErrorMessage(byPublicKey.Body));
        Assert.Equal((HttpStatusCode.OK, "kept"), (byTaskToken.Status, Encoding.UTF8.GetString(byTaskToken.Body)));
        Assert.True(status.ContainsKey("remainingCount"));
        Assert.Null(status["remainingCount"]);
    }

    [Fact]
    public async Task Outputs_stay_listed_and_downloadable_after_a_host_restart_from_the_stored_status()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            string token;
            JsonObject final;
            await using (var first = await StartAsync(dataDirectory))
            {
                await using var client = await first.ConnectAsync();
                (token, final) = await RunBatchAsync(client, FolderToWriter());

                // The recorder writes behind the engine: the final record must be in the store before the host goes.
                await first.Services.GetRequiredService<Engine.Storage.TaskHistoryRecorder>().FlushAsync();
            }

            await using var second = await StartAsync(dataDirectory);
            await using var again = await second.ConnectAsync();
            using var http = second.CreateHttpClient();
            var stored = await again.StatusAsync(token);
            var download = await GetAsync(http, $"/task/output?token={token}&name=alpha.txt.txt", "Bearer " + TestServer.ApiKey);
            var byStaleTaskToken = await GetAsync(http, $"/task/output?token={token}&name=alpha.txt.txt");

            Assert.True(JsonNode.DeepEquals(final["outputs"], stored["outputs"]), stored["outputs"]?.ToJsonString());
            Assert.Equal((HttpStatusCode.OK, "alpha words here"), (download.Status, Encoding.UTF8.GetString(download.Body)));
            Assert.Equal(HttpStatusCode.Unauthorized, byStaleTaskToken.Status);
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
    public async Task Remaining_count_of_a_synthetic_batch_counts_down_to_zero_and_is_null_for_a_webhook()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();

        var (_, final) = await RunBatchAsync(client, SyntheticToNull(25));
        var webhook = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        Assert.True((await client.SendAsync(webhook, "one")).Success);
        var webhookStatus = await client.StatusAsync(webhook);

        Assert.Equal((5, 25, 25), (final["state"]!.GetValue<int>(), final["totalCount"]!.GetValue<int>(), final["completedCount"]!.GetValue<int>()));
        Assert.Equal(0, final["remainingCount"]!.GetValue<long>());
        Assert.Equal("batch", final["taskType"]!.GetValue<string>());
        Assert.True(webhookStatus.ContainsKey("remainingCount"));
        Assert.Null(webhookStatus["remainingCount"]);
        Assert.Equal(1, webhookStatus["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Error_summary_counts_every_failure_of_the_run_by_reason_while_errors_name_each_object()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject
                {
                    ["id"] = "fault_1",
                    ["provider"] = "fault",
                    ["config"] = new JsonObject { ["action"] = "throw", ["match"] = "bad" },
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
                },
                new JsonObject { ["id"] = "response_1", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "fault_1" }) }),
            ["source"] = "webhook_1",
        };
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();

        foreach (var name in new[] { "bad-1.txt", "good-1.txt", "bad-2.txt", "bad-3.txt", "good-2.txt" })
        {
            var result = await client.SendAsync(token, "content", name: name);
            Assert.Equal(!name.StartsWith("bad", StringComparison.Ordinal), result.Success);
        }

        var status = await client.StatusAsync(token);

        Assert.Equal(3, status["failedCount"]!.GetValue<int>());
        Assert.Equal(3, status["errors"]!.AsArray().Count);
        Assert.Contains("bad-2.txt", status["errors"]![1]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""[{"message":"fault: failing this object on purpose","count":3}]""", status["errorSummary"]!.ToJsonString());
    }
}
