using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class ExecProviderTests
{
    private readonly ExecProvider _provider = new();

    private static readonly ComponentEnvironment Allowed = new() { ExecAllowList = ["/bin/cat", "/usr/bin/tr", "/bin/sh", "/bin/sleep"] };

    private Task<RecordingOutput> Run(string config, (string Lane, LanePayload Payload)[] items, CancellationToken cancellationToken = default) =>
        ComponentHarness.RunItems(_provider, config, "text/plain", items, Allowed,
            cancellationToken: cancellationToken == default ? ComponentHarness.Guard() : cancellationToken);

    private static (string, LanePayload) Text(string text) => (LaneNames.Text, new TextPayload(text));

    private static (string, LanePayload) Bytes(byte[] bytes) => (LaneNames.Tags, new BytesPayload(bytes));

    [Fact]
    public void Refused_when_the_server_allows_no_programs()
    {
        var error = Assert.Throws<ComponentConfigException>(() =>
            _provider.Create(JsonNode.Parse("""{"command":"/bin/cat"}""")!.AsObject(), new ComponentEnvironment()));
        Assert.Equal("exec is disabled: the server allows no programs", error.Message);
    }

    [Fact]
    public void Refused_when_the_command_is_not_on_the_allow_list()
    {
        var environment = new ComponentEnvironment { ExecAllowList = ["/bin/cat"] };
        var error = Assert.Throws<ComponentConfigException>(() =>
            _provider.Create(JsonNode.Parse("""{"command":"/bin/ls"}""")!.AsObject(), environment));
        Assert.Equal("exec: '/bin/ls' is not in the server's allow-list", error.Message);

        // Full paths are compared, so a detour through '..' is the same program but the prefix trick is not.
        _provider.Create(JsonNode.Parse("""{"command":"/bin/../bin/cat"}""")!.AsObject(), environment);
        Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"command":"/bin/cat2"}""")!.AsObject(), environment));
        Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"command":"/BIN/CAT"}""")!.AsObject(), environment));
    }

    [Fact]
    public void Relative_command_is_refused()
    {
        var error = Assert.Throws<ComponentConfigException>(() =>
            _provider.Create(JsonNode.Parse("""{"command":"cat"}""")!.AsObject(), Allowed));
        Assert.Contains("must be an absolute path", error.Message);
    }

    [Fact]
    public void Command_is_required_by_the_schema()
    {
        Assert.Equal(["config.command: is required"], ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, null));
        Assert.Equal(["config.timeoutMs: must be an integer >= 1 and <= 3600000"],
            ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse("""{"command":"/bin/cat","timeoutMs":0}""")));
    }

    [Fact]
    public async Task Cat_echoes_text_input()
    {
        var output = await Run("""{"command":"/bin/cat"}""", [Text("héllo "), Text("world")]);
        Assert.Equal(["héllo world"], output.Texts);
    }

    [Fact]
    public async Task Tr_with_arguments_and_no_shell()
    {
        // '$HOME' and '*' reach tr literally: nothing expands them.
        var output = await Run("""{"command":"/usr/bin/tr","args":["a-z","A-Z"]}""", [Text("shout $HOME *")]);
        Assert.Equal(["SHOUT $HOME *"], output.Texts);
    }

    [Fact]
    public async Task Bytes_in_bytes_out_large_input()
    {
        var bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(bytes);
        var output = await Run("""{"command":"/bin/cat","output":"tags"}""", ComponentHarness.Split(bytes, 65536).Select(Bytes).ToArray());
        Assert.Equal(bytes, output.Bytes);
        Assert.Single(output.Emitted);
    }

    [Fact]
    public async Task Empty_input_gives_empty_output()
    {
        var output = await Run("""{"command":"/bin/cat"}""", []);
        Assert.Equal([""], output.Texts);
    }

    [Fact]
    public async Task Non_zero_exit_fails_with_the_first_stderr_line()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Run("""{"command":"/bin/sh","args":["-c","echo first problem >&2; echo second >&2; exit 3"]}""", [Text("ignored input")]));
        Assert.Equal("exec: '/bin/sh' exited with code 3: first problem", error.Message);
    }

    [Fact]
    public async Task Non_zero_exit_without_stderr()
    {
        // The program exits without reading its input: the broken pipe is not the error, the exit code is.
        var input = Text(new string('x', 1024 * 1024));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Run("""{"command":"/bin/sh","args":["-c","exit 3"]}""", [input]));
        Assert.Equal("exec: '/bin/sh' exited with code 3", error.Message);
    }

    [Fact]
    public async Task Timeout_kills_the_program_and_fails()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Run("""{"command":"/bin/sleep","args":["30"],"timeoutMs":200}""", []));
        Assert.Equal("exec: '/bin/sleep' timed out after 200 ms", error.Message);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        // The shell's child keeps stdout open; killing only the shell would leave the read hanging.
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Run("""{"command":"/bin/sh","args":["-c","/bin/sleep 30; echo done"],"timeoutMs":200}""", []));
        Assert.Contains("timed out after 200 ms", error.Message);
    }

    [Fact]
    public async Task Cancellation_kills_the_program()
    {
        using var cancel = new CancellationTokenSource();
        var component = _provider.Create(ComponentHarness.Config(_provider, """{"command":"/bin/sleep","args":["30"]}"""), Allowed);
        var processor = component.Begin(new ObjectContext("x", "text/plain", "id"));
        var output = new RecordingOutput();
        cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await processor.CloseAsync(output, cancel.Token));
        Assert.Empty(output.Emitted);
    }

    [Fact]
    public async Task Text_object_sent_on_both_lanes_is_fed_once()
    {
        var output = await Run("""{"command":"/bin/cat"}""", [Bytes("ab"u8.ToArray()), Text("ab"), Bytes("c"u8.ToArray()), Text("c")]);
        Assert.Equal(["abc"], output.Texts);
        Assert.Single(output.Warnings);
    }

    [Fact]
    public async Task Missing_program_on_the_list_fails_clearly()
    {
        var environment = new ComponentEnvironment { ExecAllowList = ["/nonexistent/tool"] };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComponentHarness.RunItems(_provider, """{"command":"/nonexistent/tool"}""", "text/plain", [], environment));
        Assert.StartsWith("exec: could not start '/nonexistent/tool'", error.Message);
    }

    [Fact]
    public async Task Each_object_gets_its_own_run()
    {
        var component = _provider.Create(ComponentHarness.Config(_provider, """{"command":"/bin/cat"}"""), Allowed);
        var outputs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            var processor = component.Begin(new ObjectContext($"o{i}", "text/plain", "id"));
            var output = new RecordingOutput();
            await processor.WriteAsync(LaneNames.Text, new TextPayload(new string((char)('a' + i), 1000)), output, ComponentHarness.Guard());
            await processor.CloseAsync(output, ComponentHarness.Guard());
            return output;
        }));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal([new string((char)('a' + i), 1000)], outputs[i].Texts);
        }
    }

    [Fact]
    public async Task Endless_stdout_is_stopped_at_the_limit()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Run("""{"command":"/bin/sh","args":["-c","exec /bin/cat /dev/zero"],"output":"tags"}""", []));
        Assert.Equal("exec: '/bin/sh' wrote more than 64 MiB to stdout", error.Message);
    }
}
