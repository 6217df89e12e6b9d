using System.Text;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

public class SourceProcessorTextTests
{
    private static async Task<RecordingOutput> WriteAsync(params byte[][] writes)
    {
        var processor = new SourceProcessor(new ObjectContext("o.txt", "text/plain", Guid.NewGuid().ToString()));
        var output = new RecordingOutput();
        foreach (var write in writes)
        {
            await processor.WriteAsync(LaneNames.SourceInput, new BytesPayload(write), output, CancellationToken.None);
        }

        return output;
    }

    [Fact]
    public async Task Whole_utf8_writes_stay_utf8_and_read_as_the_same_text()
    {
        var buffer = Encoding.UTF8.GetBytes("héllo ☃ 😀");
        var output = await WriteAsync(buffer);
        buffer[0] = (byte)'X'; // the caller reuses its buffer: the payload kept its own copy

        var text = Assert.IsType<TextPayload>(Assert.Single(output.On(LaneNames.Text)));
        Assert.NotNull(text.Utf8);
        Assert.Equal("héllo ☃ 😀", text.Text);
        Assert.Equal(new TextPayload("héllo ☃ 😀"), text);
        Assert.Equal(new TextPayload("héllo ☃ 😀").Size, text.Size);
    }

    [Fact]
    public async Task A_character_split_across_writes_is_decoded_whole_and_the_rest_decodes_too()
    {
        var bytes = Encoding.UTF8.GetBytes("ab☃cd€ef");
        var output = await WriteAsync(bytes[..1], bytes[1..3], bytes[3..7], bytes[7..]);

        Assert.Equal("ab☃cd€ef", string.Concat(output.Texts));
        Assert.NotNull(((TextPayload)output.On(LaneNames.Text)[0]).Utf8);
    }

    [Fact]
    public async Task Invalid_utf8_decodes_with_replacement_characters_as_before()
    {
        var output = await WriteAsync([0x61, 0xFF, 0x62]);

        Assert.Equal("a\uFFFDb", Assert.Single(output.Texts));
    }
}
