using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Cli.Tests.Support;
using PipelineHost.Client;
using PipelineHost.Client.Tests.Support;
using Spectre.Console;

namespace PipelineHost.Cli.Tests;

/// <summary>Every <c>pipelinehost</c> command in-process against a real server: exit codes, output, <c>--json</c> documents.</summary>
public sealed partial class CliTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private CliHarness NewCli(string? apiKey = TestServer.ApiKey) => new(fixture.Server.WebSocketUri, apiKey);

    private static string EchoFile(CliHarness cli) => cli.WriteFile("echo.pipe.json", TestPipelines.Echo().ToJsonString());

    [Fact]
    public async Task Run_with_wait_of_a_batch_pipeline_exits_0_and_the_json_has_the_task_the_results_and_the_final_status()
    {
        var cli = NewCli();
        var file = cli.WriteFile("batch.pipe.json", TestPipelines.SyntheticBatch().ToJsonString());

        var run = await cli.RunAsync("run", file, "--wait", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("tk_", run.Json["task"]!["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(run.Json["results"]!.AsArray());
        Assert.Equal(5, run.Json["status"]!["state"]!.GetValue<int>());
        Assert.Equal(5, run.Json["status"]!["completedCount"]!.GetValue<int>());
        Assert.Equal("batch.src", run.Json["status"]!["name"]!.GetValue<string>());
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task Retry_failed_starts_a_retry_task_for_a_finished_task_and_refuses_one_with_nothing_to_retry()
    {
        var cli = NewCli();
        await using var client = await fixture.Server.ConnectAsync();
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        // A lane/table object whose body is not a table fails in the source itself: a failed item without any test component.
        await Assert.ThrowsAsync<PipelineHostException>(() => client.SendAsync(task.Token, "not a table", mimeType: "lane/table").WaitAsync(TestTimeouts.Default));
        await client.TerminateAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var clean = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        await client.TerminateAsync(clean.Token).WaitAsync(TestTimeouts.Default);

        var retry = await cli.RunAsync("retry-failed", task.Token);
        var json = await cli.RunAsync("retry-failed", task.Token, "--json");
        var nothing = await cli.RunAsync("retry-failed", clean.Token);

        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Matches($"^Retrying 1 failed items of {Regex.Escape(task.Id)} in task tk_[0-9a-f]{{32}}; follow it with: pipelinehost watch tk_[0-9a-f]{{32}}$", retry.Out.Trim());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal((1, task.Id), (json.Json["nbItems"]!.GetValue<int>(), json.Json["retryOf"]!.GetValue<string>()));
        Assert.Equal(1, nothing.ExitCode);
        Assert.Equal("pipelinehost: Nothing to retry: the task has no failed items", nothing.Error.Trim());
    }

    [Fact]
    public async Task Run_of_the_readme_example_completes_and_shows_the_final_status()
    {
        // 2,000 objects of 32 KiB: well inside 30 s on an idle machine, not on a shared one under load.
        var cli = new CliHarness(fixture.Server.WebSocketUri) { HangGuard = TimeSpan.FromMinutes(3) };

        var run = await cli.RunAsync("run", TestPipelines.Example("synthetic-wordcount.pipe.json"), "--wait");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("COMPLETED", run.Out, StringComparison.Ordinal);
        Assert.Contains("2000 done of 2000", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_keep_running_sends_files_and_folders_prints_each_result_and_leaves_the_task_running_for_stop()
    {
        var cli = NewCli();
        var pipeline = EchoFile(cli);
        cli.WriteFile("in/a.txt", "alpha");
        cli.WriteFile("in/sub/b.txt", "beta");
        var single = cli.WriteFile("c.txt", "gamma");

        var run = await cli.RunAsync("run", pipeline, "--input", "in", single, "--keep-running");
        var token = TokenPattern().Match(run.Out).Value;
        var stop = await cli.RunAsync("stop", token);
        var status = await cli.RunAsync("status", token, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✓ a.txt → alpha", run.Out, StringComparison.Ordinal);
        Assert.Contains("✓ b.txt → beta", run.Out, StringComparison.Ordinal);
        Assert.Contains("✓ c.txt → gamma", run.Out, StringComparison.Ordinal);
        Assert.Contains("RUNNING", run.Out, StringComparison.Ordinal);
        Assert.Contains($"pipelinehost stop {token}", run.Out, StringComparison.Ordinal);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"Stopped {token}.", stop.Out, StringComparison.Ordinal);
        Assert.Equal(6, status.Json["state"]!.GetValue<int>());
    }

    [Fact]
    public async Task Run_json_reports_each_file_and_the_task_token_is_usable_by_the_other_commands()
    {
        var cli = NewCli();
        var pipeline = EchoFile(cli);
        cli.WriteFile("one.txt", "first");

        var run = await cli.RunAsync("run", pipeline, "--input", "one.txt", "--keep-running", "--token", "CLI-JSON", "--json");
        var send = await cli.RunAsync("send", "CLI-JSON", cli.WriteFile("two.txt", "second"), "--json");
        var status = await cli.RunAsync("status", "CLI-JSON", "--json");
        var list = await cli.RunAsync("list", "--json");
        var human = await cli.RunAsync("status", "CLI-JSON");
        await cli.RunAsync("stop", "CLI-JSON");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("CLI-JSON", run.Json["task"]!["token"]!.GetValue<string>());
        var result = Assert.Single(run.Json["results"]!.AsArray())!;
        Assert.EndsWith("one.txt", result["file"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("first\n\n", result["result"]!["text"]![0]!.GetValue<string>());
        Assert.Equal(3, run.Json["status"]!["state"]!.GetValue<int>());
        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal("second\n\n", send.Json[0]!["result"]!["text"]![0]!.GetValue<string>());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(3, status.Json["state"]!.GetValue<int>());
        Assert.True(status.Json.AsObject().ContainsKey("project_id"));
        Assert.Contains(list.Json["tasks"]!.AsArray(), t => t!["token"]!.GetValue<string>() == "CLI-JSON");
        Assert.Contains("RUNNING", human.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_of_a_missing_file_is_a_usage_error_and_to_a_stopped_task_a_failure()
    {
        var cli = NewCli();

        var missing = await cli.RunAsync("send", "tk_whatever", "no-such-file.txt");
        var unknownTask = await cli.RunAsync("send", "tk_ffffffffffffffffffffffffffffffff", cli.WriteFile("x.txt", "x"), "--json");

        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("pipelinehost: no such file or folder: no-such-file.txt", missing.Error.Trim());
        Assert.Equal(1, unknownTask.ExitCode);
        Assert.Equal("unknown task token: no task on this server has it (mistyped, or the task ended and has been forgotten)", unknownTask.Json[0]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_follows_a_task_until_it_completes_and_exits_0()
    {
        await using var client = await fixture.Server.ConnectAsync();
        var task = await client.UseAsync(TestPipelines.SyntheticBatch()).WaitAsync(TestTimeouts.Default);

        var watch = await NewCli().RunAsync("watch", task.Token);

        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Contains("COMPLETED", watch.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_exits_0_for_a_good_pipeline_and_1_with_the_errors_for_a_bad_one()
    {
        var cli = NewCli();
        var good = await cli.RunAsync("validate", EchoFile(cli));
        var badFile = cli.WriteFile("bad.pipe.json", new JsonObject { ["pipeline"] = TestPipelines.WithUnknownProvider() }.ToJsonString());

        var bad = await cli.RunAsync("validate", badFile);
        var badJson = await cli.RunAsync("validate", badFile, "--json");

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("is valid", good.Out, StringComparison.Ordinal);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("nonexistent_provider", bad.Out, StringComparison.Ordinal);
        Assert.Equal(1, badJson.ExitCode);
        Assert.NotEmpty(badJson.Json["errors"]!.AsArray());
        Assert.True(badJson.Json.AsObject().ContainsKey("pipeline"));
    }

    [Fact]
    public async Task Validate_lists_the_fields_a_rocketride_pipeline_carries_that_are_not_used_as_notes_not_errors()
    {
        var cli = NewCli();
        var pipeline = TestPipelines.Echo();
        pipeline["components"]![0]!["ui"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 10, ["y"] = 20 } };
        var file = cli.WriteFile("with-ui.pipe.json", new JsonObject { ["pipeline"] = pipeline }.ToJsonString());

        var result = await cli.RunAsync("validate", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("is valid", result.Out, StringComparison.Ordinal);
        Assert.Contains("note    webhook_1: ", result.Out, StringComparison.Ordinal);
        Assert.Contains("ui", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Services_lists_describes_and_fails_for_an_unknown_name()
    {
        var cli = NewCli();

        var all = await cli.RunAsync("services", "--json");
        var one = await cli.RunAsync("services", "webhook", "--json");
        var table = await cli.RunAsync("services");
        var detail = await cli.RunAsync("services", "synthetic");
        var unknown = await cli.RunAsync("services", "no_such_service");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.True(all.Json["services"]!.AsObject().ContainsKey("webhook"));
        Assert.False(string.IsNullOrEmpty(one.Json["title"]!.GetValue<string>()));
        Assert.Contains("synthetic", table.Out, StringComparison.Ordinal);
        Assert.Contains("count", detail.Out, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("pipelinehost: Service 'no_such_service' not found", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_says_so_when_nothing_runs_for_a_fresh_server()
    {
        await using var server = await TestServer.StartAsync();

        var list = await new CliHarness(server.WebSocketUri).RunAsync("list");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("No running tasks.", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_lists_a_finished_task_with_its_final_state()
    {
        var cli = NewCli();
        var run = await cli.RunAsync("run", cli.WriteFile("history.pipe.json", TestPipelines.SyntheticBatch().ToJsonString()), "--wait", "--json");
        var token = run.Json["task"]!["token"]!.GetValue<string>();

        // The history is written behind the task's end; give it until the hang guard to appear.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        JsonNode? entry = null;
        while (entry is null)
        {
            var history = await cli.RunAsync("history", "--json");
            Assert.True(history.ExitCode == 0, history.ToString());
            entry = history.Json["tasks"]!.AsArray().FirstOrDefault(t => t!["token"]!.GetValue<string>() == token);
            if (entry is null)
            {
                await Task.Delay(100, timeout.Token);
            }
        }

        Assert.Equal(5, entry["state"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(new[] { "nope" }, "pipelinehost: Unrecognized command or argument 'nope'")]
    [InlineData(new string[0], "pipelinehost: a command is required (see pipelinehost --help)")]
    [InlineData(new[] { "status" }, "pipelinehost: Required argument missing for command: 'status'")]
    [InlineData(new[] { "list", "--bogus" }, "pipelinehost: Unrecognized command or argument '--bogus'")]
    [InlineData(new[] { "serve", "--bogus", "1" }, "pipelinehost: Unknown option '--bogus' (see --help)")]
    [InlineData(new[] { "run", "no-such.pipe.json" }, "pipelinehost: no such pipeline file: no-such.pipe.json")]
    [InlineData(new[] { "list", "--uri", "ftp://example.com" }, "pipelinehost: 'ftp://example.com': use ws://, wss://, http:// or https://")]
    public async Task Usage_errors_print_one_line_and_exit_2(string[] args, string message)
    {
        var run = await NewCli().RunAsync(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(message, run.Error.Trim());
    }

    [Fact]
    public async Task Without_any_api_key_it_is_a_usage_error_and_the_local_key_file_is_used_when_present()
    {
        var cli = NewCli(apiKey: null);

        var without = await cli.RunAsync("list");
        cli.WriteFile(".pipelinehost/api-key", TestServer.ApiKey + "\n");
        var withFile = await cli.RunAsync("list", "--json");

        Assert.Equal(2, without.ExitCode);
        Assert.StartsWith("pipelinehost: no API key", without.Error, StringComparison.Ordinal);
        Assert.True(withFile.ExitCode == 0, withFile.ToString());
    }

    [Fact]
    public async Task The_api_key_option_wins_over_the_environment_and_a_wrong_key_fails_with_the_server_message()
    {
        var cli = NewCli(apiKey: "wrong");

        var wrong = await cli.RunAsync("list");
        var right = await cli.RunAsync("list", "--api-key", TestServer.ApiKey, "--json");

        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal("pipelinehost: Invalid API key", wrong.Error.Trim());
        Assert.True(right.ExitCode == 0, right.ToString());
    }

    [Fact]
    public async Task Server_failures_exit_1_with_the_server_message()
    {
        var cli = NewCli();
        var badPipeline = cli.WriteFile("bad.pipe.json", TestPipelines.WithUnknownProvider().ToJsonString());

        var stop = await cli.RunAsync("stop", "tk_ffffffffffffffffffffffffffffffff");
        var run = await cli.RunAsync("run", badPipeline);

        Assert.Equal(1, stop.ExitCode);
        Assert.Equal("pipelinehost: unknown task token: no task on this server has it (mistyped, or the task ended and has been forgotten)", stop.Error.Trim());
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unknown provider \"nonexistent_provider\"", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_exits_1_saying_where_it_tried()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await new CliHarness(new Uri($"ws://127.0.0.1:{port}")).RunAsync("list");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"pipelinehost: Could not connect to ws://127.0.0.1:{port}/task/service", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_input_and_wait_on_a_webhook_pipeline_prints_each_result_then_stops_the_task_and_ends()
    {
        var cli = NewCli();
        cli.WriteFile("a.txt", "alpha");

        var run = await cli.RunAsync("run", EchoFile(cli), "--input", "a.txt", "--wait");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("✓ a.txt → alpha", run.Out, StringComparison.Ordinal);
        Assert.Contains("CANCELLED", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("keeps running", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_keep_running_and_wait_says_what_it_waits_for_prints_the_result_before_and_ends_when_stopped()
    {
        var cli = NewCli();
        cli.WriteFile("a.txt", "alpha");
        await using var client = await fixture.Server.ConnectAsync();

        var running = cli.Start("run", EchoFile(cli), "--input", "a.txt", "--keep-running", "--wait", "--token", "CLI-WAIT");
        await running.WaitForOutputAsync("Waiting for CLI-WAIT to end: a webhook source ends only when the task is stopped");
        await running.WaitForOutputAsync("✓ a.txt → alpha");
        await client.TerminateAsync("CLI-WAIT").WaitAsync(TestTimeouts.Default);
        var run = await running.Completion;

        Assert.Equal(1, run.ExitCode); // --wait asked for COMPLETED; a stopped webhook task is CANCELLED
        Assert.True(run.Out.IndexOf("✓ a.txt", StringComparison.Ordinal) < run.Out.IndexOf("Waiting for", StringComparison.Ordinal), run.ToString());
        Assert.Contains("CANCELLED", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_prints_exactly_one_document_for_errors_too()
    {
        var cli = NewCli();

        var unknown = await cli.RunAsync("status", "tk_ffffffffffffffffffffffffffffffff", "--json");
        var usage = await cli.RunAsync("list", "--bogus", "--json");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("Error", unknown.Json["status"]!.GetValue<string>());
        Assert.Equal("unknown task token: no task on this server has it (mistyped, or the task ended and has been forgotten)", unknown.Json["error"]!["message"]!.GetValue<string>());
        Assert.Equal(1, unknown.Json["exitCode"]!.GetValue<int>());
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal(2, usage.Json["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stop_of_a_task_that_already_completed_says_so_with_its_state()
    {
        var cli = NewCli();
        var run = await cli.RunAsync("run", cli.WriteFile("batch.pipe.json", TestPipelines.SyntheticBatch().ToJsonString()), "--wait", "--json");
        var token = run.Json["task"]!["token"]!.GetValue<string>();

        var stop = await cli.RunAsync("stop", token);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal($"{token} already ended (COMPLETED): nothing to stop.", stop.Out.Trim());
    }

    [Fact]
    public async Task Watch_into_a_pipe_prints_plain_lines_and_the_status_once_never_repeated_frames()
    {
        await using var client = await fixture.Server.ConnectAsync();
        var task = await client.UseAsync(TestPipelines.SyntheticBatch(200)).WaitAsync(TestTimeouts.Default);

        var watch = await NewCli().RunAsync("watch", task.Token);

        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.DoesNotContain('\u001b', watch.Out);
        Assert.Single(watch.Out.Split('\n'), l => l.StartsWith("started", StringComparison.Ordinal));
        Assert.Contains(watch.Out.Split('\n'), l => l.StartsWith("COMPLETED · 200/200 objects · 100 %", StringComparison.Ordinal));
        Assert.Contains(watch.Out.Split('\n'), l => l.StartsWith("progress", StringComparison.Ordinal) && l.Contains("100 %", StringComparison.Ordinal));
    }

    [Fact]
    public void The_console_is_plain_in_a_pipe_and_with_no_color_and_never_wraps_a_token_when_redirected()
    {
        using var piped = new StringWriter();
        var pipe = CliEnvironment.CreateConsole(piped, redirected: true, noColor: null);
        var noColor = CliEnvironment.CreateConsole(new StringWriter(), redirected: false, noColor: "1");
        var token = "tk_" + new string('f', 32);

        pipe.Write(new Table().AddColumns("token", "name", "source", "status").AddRow(token, new string('n', 60), new string('s', 40), "Webhook ready - system is ready to accept requests"));

        Assert.False(pipe.Profile.Capabilities.Ansi);
        Assert.False(pipe.Profile.Capabilities.Interactive);
        Assert.False(noColor.Profile.Capabilities.Ansi);
        Assert.False(noColor.Profile.Capabilities.Interactive);
        Assert.Contains(token, piped.ToString(), StringComparison.Ordinal);
        Assert.Contains("Webhook ready - system is ready to accept requests", piped.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_lists_the_server_options()
    {
        var help = await NewCli().RunAsync("serve", "--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--port N", help.Out, StringComparison.Ordinal);
        Assert.Contains("--allow-root PATH", help.Out, StringComparison.Ordinal);
    }

    [GeneratedRegex("tk_[0-9a-f]{32}")]
    private static partial Regex TokenPattern();
}
