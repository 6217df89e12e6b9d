using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sinks;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class WriterSinkProviderTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly WriterSinkProvider _provider = new();

    public void Dispose() => _temp.Dispose();

    private string OutputDirectory => Path.Combine(_temp.Path, "out");

    private Task<RecordingOutput> Write(string name, params (string Lane, LanePayload Payload)[] items) =>
        ComponentHarness.RunItems(_provider, "{}", "text/plain", items,
            new ComponentEnvironment { OutputDirectory = OutputDirectory },
            new ObjectContext(name, "text/plain", "id"));

    [Theory]
    [InlineData("report.txt", "report.txt")]
    [InlineData("dir/sub/file name.md", "dir_sub_file_name.md")]
    [InlineData("..\\..\\etc\\passwd", "_._.._etc_passwd")]
    [InlineData("../x", "_._x")]
    [InlineData(".hidden", "_hidden")]
    [InlineData("", "_")]
    [InlineData("café😀", "caf___")]
    public void Safe_names_stay_in_the_folder(string name, string expected)
    {
        Assert.Equal(expected, WriterSinkProvider.SafeName(name));
    }

    [Fact]
    public void Safe_names_are_capped()
    {
        Assert.Equal(new string('a', 120), WriterSinkProvider.SafeName(new string('a', 500)));
    }

    [Fact]
    public async Task Text_is_appended_bytes_written_and_structured_lanes_become_json_arrays()
    {
        var table = new TablePayload(["a", "b"], [["1", null]]);
        var documents = new DocumentsPayload([new Document("chunk", new JsonObject { ["chunk"] = 0 })]);
        var output = await Write("in/report.csv",
            (LaneNames.Text, new TextPayload("first ")),
            (LaneNames.Text, new TextPayload("second")),
            (LaneNames.Tags, new BytesPayload(new byte[] { 1, 2 })),
            (LaneNames.Tags, new BytesPayload(new byte[] { 3 })),
            (LaneNames.Table, table),
            (LaneNames.Documents, documents),
            (LaneNames.Documents, documents));

        Assert.Empty(output.Emitted);
        Assert.Equal(
            ["in_report.csv.bin", "in_report.csv.documents.json", "in_report.csv.table.json", "in_report.csv.txt"],
            Directory.GetFiles(OutputDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("first second", File.ReadAllText(Path.Combine(OutputDirectory, "in_report.csv.txt"), Encoding.UTF8));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(OutputDirectory, "in_report.csv.bin")));
        Assert.Equal("""[{"columns":["a","b"],"rows":[["1",null]]}]""", File.ReadAllText(Path.Combine(OutputDirectory, "in_report.csv.table.json")));
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(OutputDirectory, "in_report.csv.documents.json")))!.AsArray();
        Assert.Equal(2, written.Count);
        Assert.Equal("chunk", written[0]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_file_is_reported_once_when_the_object_is_finished_with_its_size_and_content_type()
    {
        var output = await Write("in/report.csv",
            (LaneNames.Text, new TextPayload("first ")),
            (LaneNames.Text, new TextPayload("second ☃")),
            (LaneNames.Tags, new BytesPayload(new byte[] { 1, 2, 3 })),
            (LaneNames.Table, new TablePayload(["a"], [["1"]])));

        Assert.Equal(
            [
                ("in_report.csv.bin", 3L, "application/octet-stream"),
                ("in_report.csv.table.json", new FileInfo(Path.Combine(OutputDirectory, "in_report.csv.table.json")).Length, "application/json"),
                ("in_report.csv.txt", (long)Encoding.UTF8.GetByteCount("first second ☃"), "text/plain; charset=utf-8"),
            ],
            output.Files);
    }

    [Fact]
    public async Task A_second_run_replaces_rather_than_appends()
    {
        await Write("a.txt", (LaneNames.Text, new TextPayload("old")));
        await Write("a.txt", (LaneNames.Text, new TextPayload("new")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(OutputDirectory, "a.txt.txt")));
    }

    [Fact]
    public async Task Hostile_names_cannot_escape_the_output_folder()
    {
        await Write("../../escape", (LaneNames.Text, new TextPayload("x")));
        Assert.Equal(["_._.._escape.txt"], Directory.GetFiles(OutputDirectory).Select(Path.GetFileName));
        Assert.Single(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Nothing_received_writes_nothing()
    {
        await Write("quiet");
        Assert.Empty(Directory.GetFiles(OutputDirectory));
    }
}
