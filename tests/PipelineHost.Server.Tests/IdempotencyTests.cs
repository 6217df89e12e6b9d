using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Issue 20, start once: <c>idempotencyKey</c> on <c>execute</c> and <c>Idempotency-Key</c> on <c>POST /task</c>,
/// with real workers, kept in the durable store across a restart.
/// </summary>
public class IdempotencyTests
{
    private const string ProjectId = "5d0c8f5e-0000-4000-8000-000000000020";

    private static Task<TestServer> StartServerAsync(string? dataDirectory = null) =>
        TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) }, dataDirectory: dataDirectory);

    private static async Task<(HttpStatusCode Status, bool Replayed, JsonObject Body)> PostAsync(HttpClient http, JsonObject pipeline, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/task") { Content = new StringContent(pipeline.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";
        return (response.StatusCode, replayed, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task Execute_with_the_same_key_and_pipeline_returns_the_first_task_and_another_pipeline_is_refused()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();

        var first = await client.ExecuteAsync(TestPipelines.Echo(ProjectId), new() { ["idempotencyKey"] = "order-42" });
        var again = await client.ExecuteAsync(TestPipelines.Echo(ProjectId), new() { ["idempotencyKey"] = "order-42" });
        var other = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["idempotencyKey"] = "order-42" });
        var otherKey = await client.ExecuteAsync(TestPipelines.Echo(ProjectId), new() { ["idempotencyKey"] = "order-43" });
        var empty = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["idempotencyKey"] = "" });
        var running = await client.RequestAsync("rrext_get_tasks", new JsonObject());

        Assert.Equal((first["token"]!.GetValue<string>(), first["id"]!.GetValue<string>()), (again["token"]!.GetValue<string>(), again["id"]!.GetValue<string>()));
        Assert.False(first.ContainsKey("replayed"));
        Assert.True(again["replayed"]!.GetValue<bool>());
        Assert.False(other.Success);
        Assert.Equal($"Idempotency key already used with a different pipeline (task {first["id"]!.GetValue<string>()}, within the last 24 h): use a new key for a different pipeline", other.Message);
        Assert.NotEqual(first["token"]!.GetValue<string>(), otherKey["token"]!.GetValue<string>());
        Assert.Equal((false, "Argument 'idempotencyKey' must be 1 to 255 characters without control characters."), (empty.Success, empty.Message));
        Assert.Equal(2, running.Body!["tasks"]!.AsArray().Count);
    }

    [Fact]
    public async Task Post_task_with_an_idempotency_key_survives_a_server_restart_and_a_different_pipeline_is_409()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            JsonObject first;
            await using (var server = await StartServerAsync(dataDirectory))
            {
                using var http = server.CreateHttpClient();
                var started = await PostAsync(http, TestPipelines.Echo(ProjectId), "nightly-2026-12-03");
                var retried = await PostAsync(http, TestPipelines.Echo(ProjectId), "nightly-2026-12-03");
                Assert.Equal((HttpStatusCode.OK, false), (started.Status, started.Replayed));
                Assert.Equal((HttpStatusCode.OK, true), (retried.Status, retried.Replayed));
                Assert.Equal(started.Body["data"]!["token"]!.GetValue<string>(), retried.Body["data"]!["token"]!.GetValue<string>());
                first = started.Body["data"]!.AsObject();
            }

            await using (var restarted = await StartServerAsync(dataDirectory))
            {
                using var http = restarted.CreateHttpClient();
                var afterRestart = await PostAsync(http, TestPipelines.Echo(ProjectId), "nightly-2026-12-03");
                var conflict = await PostAsync(http, TestPipelines.Echo(), "nightly-2026-12-03");

                Assert.Equal((HttpStatusCode.OK, true), (afterRestart.Status, afterRestart.Replayed));
                Assert.Equal(
                    (first["token"]!.GetValue<string>(), first["id"]!.GetValue<string>(), first["publicToken"]!.GetValue<string>()),
                    (afterRestart.Body["data"]!["token"]!.GetValue<string>(), afterRestart.Body["data"]!["id"]!.GetValue<string>(), afterRestart.Body["data"]!["publicToken"]!.GetValue<string>()));
                Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
                Assert.StartsWith("Idempotency key already used with a different pipeline", conflict.Body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }
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
}
