using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sinks;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary><c>text_output</c> / <c>local_text_output</c>: one text file per object in the task's outputs.</summary>
public class TextOutputProviderTests
{
    [Theory]
    [InlineData(TextOutputProvider.TextOutput)]
    [InlineData(TextOutputProvider.LocalTextOutput)]
    public async Task Writes_the_text_and_documents_of_an_object_to_one_reported_file(string name)
    {
        using var folder = new TempDirectory();
        var output = await ComponentHarness.RunItems(new TextOutputProvider(name), """{"extension":"md"}""", "text/plain",
            [(LaneNames.Text, new TextPayload("héllo ")), (LaneNames.Text, new TextPayload("world\n")), (LaneNames.Documents, new DocumentsPayload([new Document("chunk", [])]))],
            new ComponentEnvironment { OutputDirectory = folder.Path },
            new ObjectContext("notes/today.txt", "text/plain", Guid.NewGuid().ToString()));

        var file = Assert.Single(output.Files);
        Assert.Equal(("notes_today.txt.md", "text/plain; charset=utf-8"), (file.Name, file.ContentType));
        Assert.Equal("héllo world\nchunk\n", File.ReadAllText(Path.Combine(folder.Path, file.Name)));
        Assert.Equal(new FileInfo(Path.Combine(folder.Path, file.Name)).Length, file.Size);
    }

    [Theory]
    [InlineData("../../etc/passwd", "_._.._etc_passwd.txt")]
    [InlineData("/abs/path", "_abs_path.txt")]
    [InlineData("..", "_..txt")]
    public async Task A_hostile_object_name_never_leaves_the_output_folder(string objectName, string expected)
    {
        using var folder = new TempDirectory();
        var output = await ComponentHarness.RunItems(new TextOutputProvider(TextOutputProvider.TextOutput), "{}", "text/plain",
            [(LaneNames.Text, new TextPayload("x"))],
            new ComponentEnvironment { OutputDirectory = folder.Path },
            new ObjectContext(objectName, "text/plain", Guid.NewGuid().ToString()));

        Assert.Equal(expected, Assert.Single(output.Files).Name);
        Assert.Equal([expected], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }
}
