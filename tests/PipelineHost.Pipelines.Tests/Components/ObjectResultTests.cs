using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Pipelines.Tests.Components;

public class ObjectResultTests
{
    private static string TextOf(ObjectResult result, string field)
    {
        var body = new JsonObject();
        result.WriteTo(body);
        Assert.True(Utf8String.TryGet(body[field]![0], out var text));
        return text.ToString();
    }

    [Fact]
    public void Appended_text_comes_back_whole_across_segments_and_split_surrogate_pairs()
    {
        var result = new ObjectResult();
        var expected = new System.Text.StringBuilder();
        var chunk = string.Concat(Enumerable.Repeat("lorem é € ", 7_000)) + "\uD83D"; // ends with the high half of 😀
        for (var i = 0; i < 10; i++)
        {
            result.AppendText("text", chunk);
            result.AppendText("text", "\uDE00\n\n"); // its low half starts the next text
            expected.Append(chunk).Append("\uDE00\n\n");
        }

        Assert.Equal(expected.ToString(), TextOf(result, "text"));
    }

    [Fact]
    public void A_result_taken_early_does_not_change_when_more_text_arrives()
    {
        var result = new ObjectResult();
        result.AppendText("text", "first\n\n");
        var early = new JsonObject();
        result.WriteTo(early);

        result.AppendText("text", "second\n\n");

        Assert.Equal("""{"text":["first\n\n"],"result_types":{"text":"text"}}""", early.ToJsonString());
        Assert.Equal("first\n\nsecond\n\n", TextOf(result, "text"));
    }

    [Fact]
    public void Utf8_and_string_text_mix_in_order()
    {
        var result = new ObjectResult();
        result.AppendUtf8("text", Encoding.UTF8.GetBytes("héllo "));
        result.AppendText("text", "wörld 😀");
        result.AppendUtf8("text", Encoding.UTF8.GetBytes(new string('x', 300_000)));

        Assert.Equal("héllo wörld 😀" + new string('x', 300_000), TextOf(result, "text"));
    }

    [Fact]
    public void Text_ending_in_half_a_surrogate_pair_cannot_be_written()
    {
        var result = new ObjectResult();
        result.AppendText("text", "a\uD83D");

        Assert.ThrowsAny<ArgumentException>(() => result.WriteTo([]));
    }
}
