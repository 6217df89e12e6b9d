using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>The data path under concurrency, batch pipelines, and the catalogue commands (issue: pipeline engine).</summary>
public class DataPathTests
{
    private static string TextOf(PipelineHost.Protocol.ResponseMessage response)
    {
        Assert.True(response.Success, response.Message);
        return response.Body!["text"]![0]!.GetValue<string>();
    }

    [Fact]
    public async Task An_object_name_longer_than_64_KiB_reaches_the_status_and_the_errors_whole()
    {
        // Long worker strings reach the host as UTF-8 (Utf8String), not .NET strings: the host must still read them.
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var name = new string('n', 70_000) + "é.txt";
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("throw")))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "boom", name: name);
        var status = await client.StatusAsync(token);

        Assert.False(result.Success);
        Assert.Equal(name, status["currentObject"]!.GetValue<string>());
        Assert.StartsWith($"Object \"{name}\": ", status["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, status["failedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ten_concurrent_sends_to_one_task_each_get_their_own_result()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.SendAsync(token, $"object {i}", "text/plain", $"o{i}")));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"object {i}\n\n", TextOf(results[i]));
            Assert.Equal($"o{i}", results[i].Body!["name"]!.GetValue<string>());
        }

        Assert.Equal(10, results.Select(r => r.Body!["objectId"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Four_tasks_with_32_sequential_sends_each_in_parallel_never_mix_their_objects()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var tokens = new List<string>();
        for (var t = 0; t < 4; t++)
        {
            tokens.Add((await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>());
        }

        await Task.WhenAll(tokens.Select(async (token, t) =>
        {
            for (var i = 0; i < 32; i++)
            {
                Assert.Equal($"task {t} object {i}\n\n", TextOf(await client.SendAsync(token, $"task {t} object {i}")));
            }
        }));

        foreach (var token in tokens)
        {
            Assert.Equal(32, (await client.StatusAsync(token))["completedCount"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Two_connections_with_12_concurrent_sends_each_to_one_task_get_their_own_inputs_back()
    {
        await using var server = await TestServer.StartAsync();
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        var token = (await first.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var sends = new[] { first, second }.SelectMany((client, c) => Enumerable.Range(0, 12).Select(async i =>
            (Expected: $"client {c} object {i}\n\n", Actual: TextOf(await client.SendAsync(token, $"client {c} object {i}"))))).ToList();
        var results = await Task.WhenAll(sends);

        Assert.All(results, r => Assert.Equal(r.Expected, r.Actual));
        Assert.Equal(24, (await first.StatusAsync(token))["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Four_pipes_with_150_writes_each_interleaved_get_their_chunks_back_in_order()
    {
        // Writes are answered once forwarded, not once the worker has them: the worker must still apply each
        // pipe's chunks in the order they were sent, with other pipes' chunks in between.
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["threads"] = 4 }))["token"]!.GetValue<string>();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(p =>
            client.SendAsync(token, $"p{p} c0;", "text/plain", $"o{p}", [.. Enumerable.Range(1, 149).Select(c => $"p{p} c{c};")])));

        for (var p = 0; p < 4; p++)
        {
            Assert.Equal(string.Concat(Enumerable.Range(0, 150).Select(c => $"p{p} c{c};\n\n")), TextOf(results[p]));
        }
    }

    [Fact]
    public async Task A_write_that_fails_in_the_worker_fails_a_later_write_or_the_close_with_its_reason()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("throw")))["token"]!.GetValue<string>();
        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = "bad" }, ["mimeType"] = "text/plain", ["token"] = token });
        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();

        var writes = new List<PipelineHost.Protocol.ResponseMessage>();
        for (var i = 0; i < 12; i++)
        {
            writes.Add(await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, System.Text.Encoding.UTF8.GetBytes($"chunk {i}")));
        }

        var close = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
        var status = await client.WaitForStatusAsync(token, s => s["failedCount"]!.GetValue<int>() == 1);

        Assert.All(writes.Where(w => !w.Success), w => Assert.Contains("failing this object on purpose", w.Message, StringComparison.Ordinal));
        Assert.False(close.Success);
        Assert.Contains("failing this object on purpose", close.Message, StringComparison.Ordinal);
        Assert.Equal(0, status["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Opens_beyond_the_tasks_threads_wait_for_a_free_pipe_instead_of_failing()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["threads"] = 2 }))["token"]!.GetValue<string>();
        var open = (string name) => client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = name }, ["mimeType"] = "text/plain", ["token"] = token });

        var a = await open("a");
        var b = await open("b");
        var waiting = open("c");
        var close = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = a.Body!["pipe_id"]!.DeepClone(), ["token"] = token });
        var c = await waiting;

        Assert.True(close.Success);
        Assert.True(c.Success, c.Message);
        Assert.Equal(a.Body["pipe_id"]!.GetValue<int>(), c.Body!["pipe_id"]!.GetValue<int>());
        Assert.NotEqual(a.Body["pipe_id"]!.GetValue<int>(), b.Body!["pipe_id"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_folder_word_count_completes_by_itself_with_correct_counts()
    {
        var folder = Directory.CreateTempSubdirectory("pipelinehost-words-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "a.txt"), "one two three");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "b.txt"), "four five");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "skip.bin"), "not counted");
            await using var server = await TestServer.StartAsync(options: o => o with { AllowedRoots = [folder.FullName] });
            await using var client = await server.ConnectAsync();
            var pipeline = JsonNode.Parse((await File.ReadAllTextAsync(ExamplePath("folder-wordcount.pipe.json"))).Replace("${PIPELINEHOST_WORDS_DIR}", folder.FullName, StringComparison.Ordinal))!.AsObject();

            var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();
            var final = await client.WaitForStateAsync(token, 5, 6);

            Assert.Equal(5, final["state"]!.GetValue<int>());
            Assert.True(final["completed"]!.GetValue<bool>());
            Assert.Equal(0, final["exitCode"]!.GetValue<int>());
            Assert.Equal(2, final["completedCount"]!.GetValue<int>());
            Assert.Equal(0, final["failedCount"]!.GetValue<int>());
            Assert.Equal(5, final["wordsCount"]!.GetValue<int>());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_folder_outside_the_allowed_roots_and_an_exec_program_not_allowed_are_refused()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { AllowedRoots = [Path.GetTempPath()] });
        await using var client = await server.ConnectAsync();
        var filesys = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "src", ["provider"] = "filesys", ["config"] = new JsonObject { ["mode"] = "Source", ["path"] = "/etc" } },
                new JsonObject { ["id"] = "out", ["provider"] = "null", ["input"] = new JsonArray(new JsonObject { ["lane"] = "tags", ["from"] = "src" }) }),
        };
        var exec = TestPipelines.Echo();
        exec["components"]!.AsArray().Insert(1, new JsonObject
        {
            ["id"] = "run",
            ["provider"] = "exec",
            ["config"] = new JsonObject { ["command"] = "/bin/cat" },
            ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
        });

        var folder = await client.RequestAsync("execute", new() { ["pipeline"] = filesys });
        var program = await client.RequestAsync("execute", new() { ["pipeline"] = exec });

        Assert.False(folder.Success);
        Assert.Contains("outside the roots this server allows", folder.Message, StringComparison.Ordinal);
        Assert.False(program.Success);
        Assert.Contains("exec is disabled", program.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_preprocess_classify_returns_labels_for_a_document()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = JsonNode.Parse(await File.ReadAllTextAsync(ExamplePath("classify.pipe.json")))!.AsObject();
        var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();

        var result = await client.SendAsync(token, "<html><body><p>Please pay the invoice by Friday.</p><script>x()</script></body></html>", "text/html", "mail.html");

        Assert.True(result.Success, result.Message);
        var labels = result.Body!["classifications"]!.AsArray().Select(c => c!["label"]!.GetValue<string>()).ToList();
        Assert.Contains("finance", labels);
        Assert.DoesNotContain("urgent", labels);
    }

    [Fact]
    public async Task Validate_answers_success_with_errors_and_the_normalised_pipeline()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var implied = TestPipelines.Echo();
        implied.Remove("source");
        var bad = TestPipelines.Echo();
        bad["components"]![1]!["provider"] = "nonexistent_provider";
        var mismatch = TestPipelines.Echo();
        mismatch["components"]![1]!["provider"] = "wordcount";
        mismatch["components"]![1]!["input"]![0]!["lane"] = "table";

        var good = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = implied });
        var explicitSource = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = new JsonObject { ["pipeline"] = TestPipelines.Echo() }, ["source"] = "webhook_1" });
        var invalid = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = bad });
        var lanes = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = mismatch });

        Assert.True(good.Success);
        Assert.Empty(good.Body!["errors"]!.AsArray());
        Assert.Equal("webhook_1", good.Body["pipeline"]!["source"]!.GetValue<string>());
        Assert.Equal(1, good.Body["pipeline"]!["version"]!.GetValue<int>());
        Assert.True(explicitSource.Success);
        Assert.True(invalid.Success);
        Assert.Equal("response_1", invalid.Body!["errors"]![0]!["id"]!.GetValue<string>());
        Assert.Contains("(wordcount) does not accept lane \"table\"", lanes.Body!["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Services_lists_the_catalogue_one_service_or_names_the_unknown_one()
    {
        // Built-ins only: `fault` is a plug-in of the tests' components folder, which this server is not given.
        await using var server = await TestServer.StartAsync(options: o => o with { ComponentsDirectory = null });
        await using var client = await server.ConnectAsync();

        var all = await client.RequestAsync("rrext_services", []);
        var one = await client.RequestAsync("rrext_services", new() { ["service"] = "parse" });
        var unknown = await client.RequestAsync("rrext_services", new() { ["service"] = "nope" });

        var services = all.Body!["services"]!.AsObject();
        foreach (var name in new[] { "webhook", "filesys", "synthetic", "parse", "preprocessor", "transform", "filter", "extract", "wordcount", "hash", "classify", "exec", "response", "writer", "null" })
        {
            Assert.True(services.ContainsKey(name), name);
        }

        Assert.False(services.ContainsKey("fault"));
        Assert.Equal("parse://", one.Body!["protocol"]!.GetValue<string>());
        Assert.True(one.Body["lanes"]!.AsObject().ContainsKey("tags"));
        Assert.Equal("Service 'nope' not found. Please check the service name and try again.", unknown.Message);
    }

    private static string ExamplePath(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "examples")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("examples/"), "examples", name);
    }
}
