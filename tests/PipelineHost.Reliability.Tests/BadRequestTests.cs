using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>
/// Bad input is the client's error, never the server's: 400 / <c>success:false</c> naming the problem, not a 500
/// "Internal error" (issue 17, items 9 and 11).
/// </summary>
public sealed class BadRequestTests
{
    private const string Echo = """{"components":[{"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},{"id":"response_1","provider":"response","input":[{"lane":"text","from":"webhook_1"}]}],"source":"webhook_1"}""";

    public static TheoryData<string, byte[], string> BadPipelines => new()
    {
        { "duplicate key", Encoding.UTF8.GetBytes(Echo.Replace("\"source\":", "\"source\":\"webhook_1\",\"source\":", StringComparison.Ordinal)), "Duplicate property 'source'" },
        { "lone surrogate", Encoding.UTF8.GetBytes(Echo.Replace("\"Source\"", "\"\\ud800\"", StringComparison.Ordinal)), "lone surrogate" },
        { "invalid UTF-8", [.. Encoding.UTF8.GetBytes(Echo[..^1]), .. ",\"x\":\""u8, 0xFF, 0xFE, .. "\"}"u8], "not valid UTF-8" },
        { "no components", """{"components":[],"source":"webhook_1"}"""u8.ToArray(), "component" },
        { "NUL in a config value", Encoding.UTF8.GetBytes(Echo.Replace("\"Source\"", "\"Sou\\u0000rce\"", StringComparison.Ordinal)), "NUL" },
    };

    [Theory]
    [MemberData(nameof(BadPipelines))]
    public async Task POST_task_with_a_bad_pipeline_is_a_400_naming_the_problem(string name, byte[] body, string expected)
    {
        _ = name;
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateHttpClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/task") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, text, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, string, string> BadExecuteArguments => new()
    {
        { "no components", "\"pipeline\":{\"components\":[],\"source\":\"webhook_1\"}", "component" },
        { "NUL in a config value", "\"pipeline\":" + Echo.Replace("\"Source\"", "\"Sou\\u0000rce\"", StringComparison.Ordinal), "NUL" },
        { "threads as a string", "\"pipeline\":" + Echo + ",\"threads\":\"4\"", "Argument 'threads' must be an integer from 1 to 256" },
        { "threads too many", "\"pipeline\":" + Echo + ",\"threads\":257", "Argument 'threads' must be an integer from 1 to 256" },
        { "trace level as a number", "\"pipeline\":" + Echo + ",\"pipelineTraceLevel\":5", "Argument 'pipelineTraceLevel' must be none, metadata, summary or full." },
        { "NUL in a name", "\"pipeline\":" + Echo + ",\"name\":\"a\\u0000b\"", "NUL" },
    };

    [Theory]
    [MemberData(nameof(BadExecuteArguments))]
    public async Task Execute_with_bad_arguments_fails_naming_the_argument(string name, string arguments, string expected)
    {
        _ = name;
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendTextAsync("{\"type\":\"request\",\"seq\":50,\"command\":\"execute\",\"arguments\":{" + arguments + "}}");
        var answer = await client.ResponseToAsync(50);

        Assert.False(answer.Success);
        Assert.Contains(expected, answer.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Internal error", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_key_subscribing_to_status_events_only_is_refused_and_to_SSE_among_others_is_granted()
    {
        await using var server = await TestServer.StartAsync();
        await using var admin = await server.ConnectAsync();
        var started = await admin.ExecuteAsync(TestPipelines.Echo());
        await using var publicKey = await server.ConnectAsync(started["publicToken"]!.GetValue<string>());

        var statusOnly = await publicKey.RequestAsync("rrext_monitor", new() { ["types"] = new JsonArray("summary", "task") });
        var mixed = await publicKey.RequestAsync("rrext_monitor", new() { ["types"] = new JsonArray("sse", "summary") });

        Assert.False(statusOnly.Success);
        Assert.Equal("Permission 'task.monitor' denied: a public key (pk_) may subscribe to its task's SSE events only", statusOnly.Message);
        Assert.True(mixed.Success, mixed.Message);
        await admin.RequestAsync("terminate", new() { ["token"] = started["token"]!.DeepClone() });
    }

    [Fact]
    public async Task An_object_name_that_is_not_a_string_is_refused_naming_it()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["token"] = token, ["object"] = new JsonObject { ["name"] = 5 } });

        Assert.False(open.Success);
        Assert.Equal("Argument 'object.name' must be a string.", open.Message);
        await client.RequestAsync("terminate", new() { ["token"] = token });
    }
}
