using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Issue 20, cheap waiting: the status <c>version</c>, <c>ETag</c>/<c>If-None-Match</c> on <c>GET /task</c>, and the
/// long-poll <c>wait</c>/<c>sinceVersion</c>, with real workers.
/// </summary>
public class CheapWaitingTests
{
    private static Task<TestServer> StartServerAsync(int limit = 4) =>
        TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3), MaxConcurrentTasks = limit });

    private static async Task<(HttpStatusCode Status, string? ETag, JsonObject? Body)> GetAsync(HttpClient http, string url, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.ETag?.ToString(), text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject());
    }

    private static long Version(JsonObject envelope) => envelope["data"]!["version"]!.GetValue<long>();

    [Fact]
    public async Task Every_status_change_raises_the_version_on_the_websocket_and_over_http()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var running = await client.StatusAsync(token);
        var overHttp = (await GetAsync(http, $"/task?token={token}")).Body!;
        Assert.True((await client.SendAsync(token, "hello")).Success);
        var afterData = await client.StatusAsync(token);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var ended = await client.StatusAsync(token);

        Assert.True(running["version"]!.GetValue<long>() > 0);
        Assert.True(Version(overHttp) >= running["version"]!.GetValue<long>());
        Assert.True(afterData["version"]!.GetValue<long>() > running["version"]!.GetValue<long>());
        Assert.True(ended["version"]!.GetValue<long>() > afterData["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Get_task_sends_an_etag_and_answers_304_to_a_matching_if_none_match_until_the_status_changes()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var first = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        // A queued task changes only when the queue moves: nothing else touches its status meanwhile.
        var queued = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var plain = await GetAsync(http, $"/task?token={queued}");
        var unchanged = await GetAsync(http, $"/task?token={queued}", plain.ETag);
        var unchangedInList = await GetAsync(http, $"/task?token={queued}", $"W/\"other\", {plain.ETag}");
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = first })).Success);
        await client.WaitForStateAsync(queued, 3);
        var changed = await GetAsync(http, $"/task?token={queued}", plain.ETag);

        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.Equal($"W/\"{plain.Body!["data"]!["id"]!.GetValue<string>()}.{Version(plain.Body)}\"", plain.ETag);
        Assert.Equal((HttpStatusCode.NotModified, plain.ETag, null), (unchanged.Status, unchanged.ETag, unchanged.Body));
        Assert.Equal(HttpStatusCode.NotModified, unchangedInList.Status);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.NotEqual(plain.ETag, changed.ETag);
        Assert.True(Version(changed.Body!) > Version(plain.Body));
    }

    [Fact]
    public async Task A_long_poll_answers_at_the_next_change()
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var seen = (await client.StatusAsync(token))["version"]!.GetValue<long>();

        var poll = GetAsync(http, $"/task?token={token}&wait=50s&sinceVersion={seen}");
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var answer = await poll;
        var final = (await client.WaitForStateAsync(token, 6))["version"]!.GetValue<long>();
        var afterEnd = await GetAsync(http, $"/task?token={token}&wait=50s&sinceVersion={final}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(Version(answer.Body!) > seen);

        // An ended task changes no more: the poll answers at once instead of holding the request.
        Assert.Equal((HttpStatusCode.OK, final), (afterEnd.Status, Version(afterEnd.Body!)));
    }

    [Fact]
    public async Task A_long_poll_with_nothing_changing_answers_at_the_timeout_with_the_same_version()
    {
        await using var server = await StartServerAsync(limit: 1);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        await client.ExecuteAsync(TestPipelines.Echo());
        var queued = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var plain = await GetAsync(http, $"/task?token={queued}");

        var timedOut = await GetAsync(http, $"/task?token={queued}&wait=300ms&sinceVersion={Version(plain.Body!)}");
        var timedOutConditional = await GetAsync(http, $"/task?token={queued}&wait=0.2", plain.ETag);
        var alreadyNewer = await GetAsync(http, $"/task?token={queued}&wait=50s&sinceVersion=0");

        Assert.Equal((HttpStatusCode.OK, plain.ETag), (timedOut.Status, timedOut.ETag));
        Assert.Equal(Version(plain.Body!), Version(timedOut.Body!));
        Assert.Equal(HttpStatusCode.NotModified, timedOutConditional.Status);
        Assert.Equal(HttpStatusCode.OK, alreadyNewer.Status);
    }

    [Theory]
    [InlineData("wait=abc", "Argument 'wait' must be a duration from 0 to 55 s, e.g. 30s or 500ms.")]
    [InlineData("wait=-1s", "Argument 'wait' must be a duration from 0 to 55 s, e.g. 30s or 500ms.")]
    [InlineData("wait=10m", "Argument 'wait' must be a duration from 0 to 55 s, e.g. 30s or 500ms.")]
    [InlineData("wait=56s", "Argument 'wait' must be a duration from 0 to 55 s, e.g. 30s or 500ms.")]
    [InlineData("wait=5s&sinceVersion=x", "Argument 'sinceVersion' must be a whole number from 0 (the status's 'version').")]
    public async Task A_bad_wait_or_since_version_is_a_clear_400(string query, string message)
    {
        await using var server = await StartServerAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var answer = await GetAsync(http, $"/task?token={token}&{query}");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(message, answer.Body!["error"]!["message"]!.GetValue<string>());
    }
}
