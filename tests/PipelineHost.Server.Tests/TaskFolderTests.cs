using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Where a task's files live and what a client can learn of it: folders keyed by a random internal key (never a
/// token), public ids independent of tokens, and writer output bounded per object and per task.
/// </summary>
public sealed class TaskFolderTests
{
    private static JsonObject WebhookToWriter() => new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject { ["id"] = "writer_1", ["provider"] = "writer", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
        ["source"] = "webhook_1",
        ["project_id"] = Guid.NewGuid().ToString(),
    };

    [Fact]
    public async Task Tokens_that_differ_only_in_punctuation_keep_their_outputs_apart_and_no_path_or_worker_argument_holds_a_token()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        string[] tokens = ["a.b", "a_b"];
        var pids = new List<int>();
        foreach (var token in tokens)
        {
            await client.ExecuteAsync(WebhookToWriter(), new() { ["token"] = token });
            var sent = await client.SendAsync(token, "written by " + token, name: "same");
            Assert.True(sent.Success, sent.Message);
            pids.Add(server.Services.GetRequiredService<TaskManager>().GetTask(token, Caller.ForApiKey(), Permissions.Monitor).Worker!.ProcessId);
        }

        var arguments = pids.Select(pid => File.ReadAllText($"/proc/{pid}/cmdline")).ToList();
        var downloads = new List<string>();
        foreach (var token in tokens)
        {
            var (status, _, body) = await http.SendRawAsync(HttpMethod.Get, $"/task/output?token={token}&name=same.txt", $"Bearer {TestServer.ApiKey}");
            Assert.Equal(HttpStatusCode.OK, status);
            downloads.Add(Encoding.UTF8.GetString(body));
        }

        Assert.Equal(["written by a.b", "written by a_b"], downloads);
        var paths = Directory.EnumerateFileSystemEntries(server.DataDirectory, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(server.DataDirectory, p)).ToList();
        Assert.Contains(paths, p => p.EndsWith("same.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(paths, p => tokens.Any(t => p.Contains(t, StringComparison.Ordinal)));
        Assert.DoesNotContain(arguments, a => tokens.Any(t => a.Contains(t, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_chosen_token_does_not_shape_the_public_id()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var started = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "../../etc" });
        var other = await client.ExecuteAsync(TestPipelines.Echo(), new() { ["token"] = "../../etc/x" });

        Assert.Matches("^[0-9a-f]{8}\\.webhook_1$", started["id"]!.GetValue<string>());
        Assert.NotEqual(started["id"]!.GetValue<string>(), other["id"]!.GetValue<string>());
        Assert.DoesNotContain("..", (await client.StatusAsync("../../etc"))["name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_key_holder_over_the_output_limits_fails_the_object_with_a_message_naming_neither_a_path_nor_a_token()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { TaskOutputMaxBytes = 100, ObjectOutputMaxBytes = 40 });
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var started = await client.ExecuteAsync(WebhookToWriter());
        var token = started["token"]!.GetValue<string>();
        var pk = started["publicToken"]!.GetValue<string>();

        var small = await PostAsync(http, pk, new string('a', 30));
        var tooBig = await PostAsync(http, pk, new string('b', 50));
        var second = await PostAsync(http, pk, new string('c', 30));
        var third = await PostAsync(http, pk, new string('d', 30));
        var overTask = await PostAsync(http, pk, new string('e', 30));
        var status = (await client.StatusAsync(token)).ToJsonString();

        Assert.Equal(["OK", "Error", "OK", "OK", "Error"], new[] { small, tooBig, second, third, overTask }.Select(ObjectStatus));
        Assert.Contains("per-object output limit of 40 bytes", tooBig.Body, StringComparison.Ordinal);
        Assert.Contains("output would exceed its limit of 100 bytes", overTask.Body, StringComparison.Ordinal);
        foreach (var text in new[] { tooBig.Body, overTask.Body, status })
        {
            Assert.DoesNotContain(server.DataDirectory, text, StringComparison.Ordinal);
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(pk[3..], text, StringComparison.Ordinal);
        }
    }

    private static string ObjectStatus((HttpStatusCode Status, string Body) reply) =>
        reply.Status == HttpStatusCode.OK ? JsonNode.Parse(reply.Body)!["data"]!["objects"]!["body"]!["status"]!.GetValue<string>() : reply.Status.ToString();

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, string pk, string text)
    {
        using var response = await http.PostAsync($"/webhook?auth={pk}", new StringContent(text, Encoding.UTF8, "text/plain")).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
