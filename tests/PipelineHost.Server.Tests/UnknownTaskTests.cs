using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Issue 20, unknown is not pending: a token the server never issued is "unknown task" on every entry point, never
/// a status that looks like NONE. (A task that left the history: HistoryTests, expired with its end time.)
/// </summary>
public class UnknownTaskTests
{
    private const string Never = "tk_0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Every_websocket_command_that_takes_a_token_answers_unknown_task()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var replies = new (string Command, JsonObject Arguments)[]
        {
            ("rrext_get_task_status", new() { ["token"] = Never }),
            ("terminate", new() { ["token"] = Never }),
            ("restart", new() { ["token"] = Never, ["pipeline"] = TestPipelines.Echo() }),
            ("rrext_retry_failed", new() { ["token"] = Never }),
            ("rrext_get_pipeline", new() { ["token"] = Never }),
            ("rrext_monitor", new() { ["token"] = Never, ["types"] = new JsonArray("summary") }),
            ("rrext_process", new() { ["token"] = Never, ["subcommand"] = "open", ["object"] = new JsonObject { ["size"] = 1 }, ["mimeType"] = "text/plain" }),
        };

        foreach (var (command, arguments) in replies)
        {
            var response = await client.RequestAsync(command, arguments);
            Assert.False(response.Success, command);
            Assert.True(TaskNotFoundException.Unknown == response.Message, $"{command}: {response.Message}");
        }

        // Nothing was subscribed: no status event (a NONE placeholder) follows the refusals.
        var ping = await client.RequestAsync("rrext_ping", new JsonObject());
        Assert.True(ping.Success);
    }

    [Fact]
    public async Task Every_http_route_that_takes_a_token_answers_404_unknown_task()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var bearer = "Bearer " + TestServer.ApiKey;

        var replies = new[]
        {
            Strip(await http.SendRawAsync(HttpMethod.Get, $"/task?token={Never}", bearer)),
            Strip(await http.SendRawAsync(HttpMethod.Get, $"/task?token={Never}&wait=5s&sinceVersion=0", bearer)),
            Strip(await http.SendRawAsync(HttpMethod.Delete, $"/task?token={Never}", bearer)),
            Strip(await http.SendRawAsync(HttpMethod.Get, $"/task/events?token={Never}", bearer)),
            Strip(await http.SendRawAsync(HttpMethod.Get, $"/task/output?token={Never}&name=a.txt", bearer)),
            Strip(await http.SendRawAsync(HttpMethod.Post, $"/task/retry-failed?token={Never}", bearer)),
            await PostDataAsync(http, $"/task/data?token={Never}", bearer),
        };

        Assert.All(replies, r => Assert.Equal(
            (HttpStatusCode.NotFound, TaskNotFoundException.Unknown),
            (r.Status, JsonNode.Parse(r.Body)!["error"]!["message"]!.GetValue<string>())));
    }

    private static (HttpStatusCode Status, byte[] Body) Strip((HttpStatusCode Status, System.Net.Http.Headers.HttpContentHeaders Headers, byte[] Body) reply) => (reply.Status, reply.Body);

    private static async Task<(HttpStatusCode Status, byte[] Body)> PostDataAsync(HttpClient http, string url, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("x", Encoding.UTF8, "text/plain") };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }
}
