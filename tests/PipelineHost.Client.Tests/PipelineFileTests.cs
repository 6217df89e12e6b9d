using System.Text.Json.Nodes;
using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Client.Tests;

public class PipelineFileTests
{
    [Theory]
    [InlineData("examples/webhook-echo.pipe.json", "webhook-echo")]
    [InlineData("a/b/flow.pipe", "flow")]
    [InlineData("flow.json", "flow")]
    [InlineData("flow.PIPE.JSON", "flow")]
    [InlineData("noextension", "noextension")]
    public void The_task_name_is_the_file_name_without_its_pipeline_extension(string path, string expected) =>
        Assert.Equal(expected, PipelineFile.TaskName(path));

    [Fact]
    public async Task A_wrapped_pipeline_with_comments_and_trailing_commas_loads_flat()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wrapped-{Guid.NewGuid():N}.pipe");
        await File.WriteAllTextAsync(path, """
            // hand-written
            {"pipeline": {"source": "webhook_1", "components": [{"id": "webhook_1", "provider": "webhook"},],}}
            """);
        try
        {
            var pipeline = await PipelineFile.LoadAsync(path);

            Assert.Equal("webhook_1", pipeline["source"]!.GetValue<string>());
            Assert.False(pipeline.ContainsKey("pipeline"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_json_object_is_refused_with_its_name()
    {
        var path = TestPipelines.WriteTempFile(new JsonObject());
        await File.WriteAllTextAsync(path, "[1, 2]");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => PipelineFile.LoadAsync(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unwrap_copies_so_the_callers_object_is_never_changed()
    {
        var original = new JsonObject { ["pipeline"] = TestPipelines.Echo() };

        var flat = PipelineFile.Unwrap(original);
        flat["source"] = "changed";

        Assert.Equal("webhook_1", original["pipeline"]!["source"]!.GetValue<string>());
    }
}
