using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// A <c>.pipe</c> file written the JSON5 way (comments, trailing commas, unquoted keys, single-quoted strings) is
/// accepted wherever a pipeline file's text reaches the server: a pipeline given as text to validate, execute or
/// a deployment (what the dashboard sends), and a file posted as the body of <c>POST /task</c>.
/// </summary>
public sealed class PipeFileJson5Tests
{
    private static string File(string name) => System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "RocketRide", name));

    [Fact]
    public async Task A_json5_pipe_file_validates_runs_and_deploys_given_as_text()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var text = File("json5-parse.pipe");

        var validation = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = text });
        var execute = await client.RequestAsync("execute", new() { ["pipeline"] = text });
        var deploy = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = text });

        Assert.True(validation.Success, validation.Message);
        Assert.Empty(validation.Body!["errors"]!.AsArray());
        Assert.True(execute.Success, execute.Message);
        var token = execute.Body!["token"]!.GetValue<string>();
        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = "people.csv" }, ["mimeType"] = "text/csv", ["token"] = token });
        await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = open.Body!["pipe_id"]!.GetValue<int>(), ["token"] = token }, "name,city\nAnn,Oslo\n"u8.ToArray());
        var close = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = open.Body!["pipe_id"]!.GetValue<int>(), ["token"] = token });
        Assert.True(close.Success, close.Message);
        Assert.Equal("""["name","city"]""", close.Body!["table"]![0]!["columns"]!.ToJsonString());
        Assert.True(deploy.Success, deploy.Message);
        Assert.Equal("3c0f6a55-41a1-4b8e-9a43-2f1e5d7c9b10", deploy.Body!["project_id"]!.GetValue<string>());
        Assert.Equal("webhook_1", deploy.Body!["pipeline"]!["components"]![0]!["id"]!.GetValue<string>()); // kept as the object it holds
    }

    [Fact]
    public async Task A_json5_pipe_file_posted_as_it_is_starts_a_task_and_a_broken_one_names_line_and_column()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateHttpClient();

        var started = await PostAsync(http, File("json5-parse.pipe"));
        var broken = await PostAsync(http, File("json5-broken.pipe"));
        await using var client = await server.ConnectAsync();
        var brokenText = await client.RequestAsync("execute", new() { ["pipeline"] = File("json5-broken.pipe") });

        Assert.True(started.Status == HttpStatusCode.OK, started.Text);
        Assert.StartsWith("tk_", JsonNode.Parse(started.Text)!["data"]!["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, broken.Status);
        Assert.Contains("Malformed JSON: ", broken.Text, StringComparison.Ordinal);
        Assert.Contains("(line 8, column 7)", broken.Text, StringComparison.Ordinal);
        Assert.False(brokenText.Success);
        Assert.Contains("The pipeline is not valid JSON5: ", brokenText.Message, StringComparison.Ordinal);
        Assert.EndsWith("The pipeline is not valid JSON5: '\"' is invalid after a value. Expected either ',', '}', or ']' (line 8, column 7)", brokenText.Message, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Text)> PostAsync(HttpClient http, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/task") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {TestServer.ApiKey}");
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
