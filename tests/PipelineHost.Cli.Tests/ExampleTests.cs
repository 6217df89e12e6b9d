using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Cli.Tests.Support;
using PipelineHost.Client;
using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Cli.Tests;

/// <summary>The examples/ pipelines run as the README says, by every way in.</summary>
public sealed class ExampleTests
{
    [Fact]
    public async Task Folder_wordcount_runs_by_post_task_and_by_the_cli_with_its_variable_set_in_the_server_environment()
    {
        var folder = Directory.CreateTempSubdirectory("pipelinehost-words-");
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "a.txt"), "one two three");
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "b.txt"), "four five");

        // The server reads its environment when it starts; only this test sets this variable in this process.
        Environment.SetEnvironmentVariable("PIPELINEHOST_WORDS_DIR", folder.FullName);
        try
        {
            await using var server = await TestServer.StartAsync(o => o with { AllowedRoots = [folder.FullName] });
            await using var client = await server.ConnectAsync();
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);

            using var posted = await http.PostAsync(
                "/task",
                new StringContent(await File.ReadAllTextAsync(TestPipelines.Example("folder-wordcount.pipe.json")), Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!;
            var viaHttp = await client.WaitForCompletionAsync(body["data"]?["token"]?.GetValue<string>() ?? throw new InvalidOperationException(body.ToJsonString())).WaitAsync(TestTimeouts.Default);
            var viaCli = await new CliHarness(server.WebSocketUri).RunAsync("run", TestPipelines.Example("folder-wordcount.pipe.json"), "--wait", "--json");

            Assert.Equal((TaskState.Completed, 2L, 5L), (viaHttp.State, viaHttp.Counts.CompletedCount, viaHttp.Counts.WordsCount));
            Assert.True(viaCli.ExitCode == 0, viaCli.ToString());
            Assert.Equal(5, viaCli.Json["status"]!["wordsCount"]!.GetValue<int>());
        }
        finally
        {
            Environment.SetEnvironmentVariable("PIPELINEHOST_WORDS_DIR", null);
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_pipeline_is_shown_by_one_name_whether_started_by_post_task_the_sdk_or_the_cli()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var cli = new CliHarness(server.WebSocketUri);
        var pipeline = JsonNode.Parse(await File.ReadAllTextAsync(TestPipelines.Example("synthetic-wordcount.pipe.json")))!.AsObject();
        pipeline["components"]![0]!["config"]!["count"] = 5;
        var file = cli.WriteFile("synthetic-wordcount.pipe.json", pipeline.ToJsonString());
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);

        using var posted = await http.PostAsync("/task", new StringContent(pipeline.ToJsonString(), Encoding.UTF8, "application/json"));
        var viaHttp = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["data"]!["token"]!.GetValue<string>();
        var viaSdk = await client.UseAsync(Path.Combine(cli.WorkingDirectory, file)).WaitAsync(TestTimeouts.Default);
        var viaCli = await cli.RunAsync("run", file, "--wait", "--json");

        var names = new[]
        {
            (await client.WaitForCompletionAsync(viaHttp).WaitAsync(TestTimeouts.Default)).Name,
            (await client.WaitForCompletionAsync(viaSdk.Token).WaitAsync(TestTimeouts.Default)).Name,
            viaCli.Json["status"]!["name"]!.GetValue<string>(),
        };
        Assert.All(names, n => Assert.Equal("Synthetic word count.synthetic_1", n));
    }

    [Fact]
    public async Task Folder_wordcount_without_its_variable_is_refused_naming_the_variable_and_the_server_environment()
    {
        await using var server = await TestServer.StartAsync();

        var run = await new CliHarness(server.WebSocketUri).RunAsync("run", TestPipelines.Example("folder-wordcount.pipe.json"));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("pipelinehost: Placeholder ${PIPELINEHOST_WORDS_DIR} is not set: set the environment variable PIPELINEHOST_WORDS_DIR where the server runs", run.Error, StringComparison.Ordinal);
    }
}
