using PipelineHost.Client;

namespace PipelineHost.Cli.Tests;

/// <summary><c>validate</c> and <c>run</c> read hand-written JSON5 <c>.pipe</c> files as RocketRide's SDKs do.</summary>
public sealed partial class CliTests
{
    private static string Json5File(string name) => Path.Combine(AppContext.BaseDirectory, "RocketRide", name);

    [Fact]
    public async Task Validate_and_run_accept_a_json5_pipe_file_and_a_broken_one_names_its_line_and_column()
    {
        var cli = NewCli();
        var input = cli.WriteFile("people.csv", "name,city\nAnn,Oslo\n");

        var validate = await cli.RunAsync("validate", Json5File("json5-parse.pipe"));
        var run = await cli.RunAsync("run", Json5File("json5-parse.pipe"), "--input", input, "--json");
        var broken = await cli.RunAsync("validate", Json5File("json5-broken.pipe"));

        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Contains("is valid", validate.Out, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("""["name","city"]""", run.Json["results"]![0]!["result"]!["table"]![0]!["columns"]!.ToJsonString());
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("json5-broken.pipe is not valid JSON5: ", broken.Error, StringComparison.Ordinal);
        Assert.Contains("(line 8, column 7)", broken.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sdk_reads_a_json5_pipe_file_the_same_way()
    {
        var pipeline = await PipelineFile.LoadAsync(Json5File("json5-parse.pipe"));

        Assert.Equal("Parse, hand-written", pipeline["name"]!.GetValue<string>());
        Assert.Equal(3, pipeline["components"]!.AsArray().Count);
        Assert.Equal("webhook_1", pipeline["source"]!.GetValue<string>());
    }
}
