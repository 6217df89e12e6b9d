using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.Json;

public class Utf8StringTests
{
    // Escapes, two-, three- and four-byte characters; long enough to cross the 16 KiB write pieces many times.
    private static string LongText(int shift)
    {
        var text = new StringBuilder(new string('x', shift));
        while (text.Length < 70_000)
        {
            text.Append("lorem \"ipsum\"\n\tdolor é € 😀 <sit> &amet\u0001 ");
        }

        return text.ToString();
    }

    private static Utf8String Split(string text, int segment)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var segments = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Math.Min(bytes.Length, start + segment);
            while (end < bytes.Length && (bytes[end] & 0xC0) == 0x80)
            {
                end++; // segments end on a character boundary, as the type requires
            }

            segments.Add(bytes.AsMemory(start, end - start));
            start = end;
        }

        return new Utf8String(segments);
    }

    [Fact]
    public void Both_codecs_write_it_byte_for_byte_as_the_same_dotnet_string()
    {
        for (var shift = 0; shift < 4; shift++)
        {
            var text = LongText(shift);
            foreach (var segment in new[] { 1000, 16 * 1024, 256 * 1024 })
            {
                var asString = new ResponseMessage(3, "rrext_process", true) { Seq = 9, Body = new JsonObject { ["text"] = new JsonArray(text) } };
                var asUtf8 = asString with { Body = new JsonObject { ["text"] = new JsonArray(Split(text, segment).ToJsonValue()) } };

                Assert.Equal(JsonMessageCodec.Instance.EncodeToArray(asString, out _), JsonMessageCodec.Instance.EncodeToArray(asUtf8, out _));
                Assert.Equal(MessagePackMessageCodec.Instance.EncodeToArray(asString), MessagePackMessageCodec.Instance.EncodeToArray(asUtf8));
                Assert.Equal(asString.Body.ToJsonString(), asUtf8.Body!.ToJsonString());
            }
        }
    }

    [Fact]
    public void A_codec_told_to_keeps_long_strings_as_utf8_and_short_ones_as_strings()
    {
        var text = LongText(1);
        var message = new ResponseMessage(3, "rrext_process", true) { Seq = 9, Body = new JsonObject { ["text"] = new JsonArray(text), ["name"] = "short" } };
        var frame = MessagePackMessageCodec.Instance.EncodeToArray(message);

        var kept = Assert.IsType<ResponseMessage>(new MessagePackMessageCodec(utf8StringsFrom: 64 * 1024).Decode(frame, true));
        var plain = Assert.IsType<ResponseMessage>(MessagePackMessageCodec.Instance.Decode(frame, true));

        Assert.True(Utf8String.TryGet(kept.Body!["text"]![0], out var utf8));
        Assert.Equal(text, utf8.ToString());
        Assert.Equal("short", kept.Body["name"]!.GetValue<string>());
        Assert.Equal(text, plain.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(JsonMessageCodec.Instance.EncodeToArray(plain, out _), JsonMessageCodec.Instance.EncodeToArray(kept, out _));
    }
}
