using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Protocol.Tests.Json;

public class JsonMessageCodecTests
{
    private static readonly JsonMessageCodec Codec = JsonMessageCodec.Instance;

    [Fact]
    public void A_request_from_the_Python_SDK_decodes()
    {
        var frame = """{"type": "request", "seq": 1, "command": "auth", "arguments": {"auth": "MYAPIKEY", "clientName": "Python SDK"}}"""u8;

        var request = Assert.IsType<RequestMessage>(Codec.Decode(frame, binaryFrame: false));

        Assert.Equal(1, request.Seq);
        Assert.Equal("auth", request.Command);
        Assert.Equal("MYAPIKEY", request.Arguments!["auth"]!.GetValue<string>());
        Assert.Null(request.Data);
    }

    [Fact]
    public void A_binary_write_splits_at_the_first_newline_and_keeps_later_newlines_in_the_payload()
    {
        var header = """{"type":"request","seq":6,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":1,"token":"tk_x"}}"""u8;
        byte[] payload = [0x41, 0x0A, 0x0A, 0x00, 0xFF, 0x0A];
        var frame = header.ToArray().Append((byte)'\n').Concat(payload).ToArray();

        var request = Assert.IsType<RequestMessage>(Codec.Decode(frame, binaryFrame: true));

        Assert.Equal(payload, request.Data!.Value.ToArray());
        Assert.Equal("write", request.Arguments!["subcommand"]!.GetValue<string>());
        Assert.False(request.Arguments.ContainsKey("data"));
    }

    [Fact]
    public void An_empty_payload_is_still_a_payload()
    {
        var frame = Encoding.UTF8.GetBytes("""{"type":"request","seq":2,"command":"rrext_store","arguments":{}}""" + "\n");

        var request = Assert.IsType<RequestMessage>(Codec.Decode(frame, binaryFrame: true));

        Assert.NotNull(request.Data);
        Assert.Equal(0, request.Data!.Value.Length);
    }

    [Fact]
    public void A_binary_frame_without_a_newline_is_plain_json()
    {
        var request = Assert.IsType<RequestMessage>(Codec.Decode("""{"type":"request","seq":3,"command":"rrext_ping"}"""u8, binaryFrame: true));

        Assert.Null(request.Data);
        Assert.Null(request.Arguments);
    }

    [Fact]
    public void A_root_level_token_is_kept_for_old_clients()
    {
        var request = Assert.IsType<RequestMessage>(Codec.Decode("""{"type":"request","seq":3,"command":"terminate","token":"tk_1"}"""u8, false));

        Assert.Equal("tk_1", request.RootToken);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("tab\tand \"quotes\" and \\ and \u2028 and emoji 🚀")]
    public void Encoded_json_is_compact_and_never_contains_a_raw_newline(string text)
    {
        var response = new ResponseMessage(7, "rrext_ping", true)
        {
            Seq = 9,
            Body = new JsonObject { ["text"] = text, ["nested"] = new JsonObject { ["list"] = new JsonArray(1, 2, 3) } },
        };

        var bytes = Codec.EncodeToArray(response, out var binary);

        Assert.False(binary);
        Assert.DoesNotContain((byte)'\n', bytes);
        Assert.DoesNotContain(": ", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var decoded = Assert.IsType<ResponseMessage>(Codec.Decode(bytes, false));
        Assert.Equal(text, decoded.Body!["text"]!.GetValue<string>());
    }

    [Fact]
    public void A_response_has_the_reference_field_layout()
    {
        var response = new ResponseMessage(42, "execute", false) { Seq = 18, Message = "Pipeline is already running." };

        var json = Encoding.UTF8.GetString(Codec.EncodeToArray(response, out _));

        Assert.Equal("""{"type":"response","seq":18,"request_seq":42,"command":"execute","success":false,"message":"Pipeline is already running."}""", json);
    }

    [Fact]
    public void A_long_string_in_a_response_body_encodes_as_the_json_writer_writes_it_whole()
    {
        // Long strings go out in segments; the bytes must not change: escapes, multi-byte characters, and a
        // surrogate pair at each position around the segment boundaries (the prefix shifts the pattern by one).
        const string Pattern = "lorem \"ipsum\"\n\tdolor é € 😀 <sit> &amet\u0001 ";
        for (var shift = 0; shift <= Pattern.Length; shift++)
        {
            var text = new StringBuilder(new string('x', shift));
            while (text.Length < 40_000)
            {
                text.Append(Pattern);
            }

            var body = new JsonObject
            {
                ["name"] = "n",
                ["text"] = new JsonArray(text.ToString(), "short", null),
                ["nested"] = new JsonObject { ["again"] = text.ToString(1, 20_000), ["n"] = 1.5, ["b"] = true },
            };
            var response = new ResponseMessage(7, "rrext_process", true) { Seq = 3, Body = body };

            var json = Encoding.UTF8.GetString(Codec.EncodeToArray(response, out _));

            var expectedBody = body.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            Assert.Equal($$"""{"type":"response","seq":3,"request_seq":7,"command":"rrext_process","success":true,"body":{{expectedBody}}}""", json);
            Assert.Equal(text.ToString(), JsonNode.Parse(json)!["body"]!["text"]![0]!.GetValue<string>());
        }
    }

    [Fact]
    public void A_response_carrying_bytes_becomes_header_newline_payload()
    {
        byte[] payload = [1, 2, 10, 3];
        var response = new ResponseMessage(5, "rrext_store", true) { Seq = 1, Body = new JsonObject { ["size"] = 4 }, Data = payload };

        var bytes = Codec.EncodeToArray(response, out var binary);

        Assert.True(binary);
        var split = Array.IndexOf(bytes, (byte)'\n');
        Assert.Equal(payload, bytes[(split + 1)..]);
        var decoded = Assert.IsType<ResponseMessage>(Codec.Decode(bytes, true));
        Assert.Equal(payload, decoded.Data!.Value.ToArray());
    }

    [Fact]
    public void An_event_round_trips_with_its_top_level_id()
    {
        var evt = new EventMessage("apaevt_task", new JsonObject { ["action"] = "begin", ["__id"] = "abc.webhook_1" }) { Seq = 3, Id = "abc.webhook_1" };

        var decoded = Assert.IsType<EventMessage>(Codec.Decode(Codec.EncodeToArray(evt, out _), false));

        Assert.Equal("abc.webhook_1", decoded.Id);
        Assert.Equal("begin", decoded.Body["action"]!.GetValue<string>());
    }

    [Fact]
    public void A_request_with_data_round_trips_through_encode_and_decode()
    {
        var request = new RequestMessage("rrext_process") { Seq = 4, Arguments = new JsonObject { ["pipe_id"] = 1 }, Data = "a\nb"u8.ToArray() };

        var bytes = Codec.EncodeToArray(request, out var binary);
        var decoded = Assert.IsType<RequestMessage>(Codec.Decode(bytes, binary));

        Assert.True(binary);
        Assert.Equal("a\nb"u8.ToArray(), decoded.Data!.Value.ToArray());
        Assert.Equal(1, decoded.Arguments!["pipe_id"]!.GetValue<int>());
    }

    public static TheoryData<string, string, long?> MalformedFrames => new()
    {
        { "not json", "Malformed JSON", null },
        { """{"type":"request","seq":12,"command":"x","arguments":{"a":}""", "Malformed JSON", 12 },
        { "[1,2]", "must be a JSON object", null },
        { """{"seq":1,"command":"x"}""", "Missing required property 'type'.", 1 },
        { """{"type":"request","seq":"1","command":"x"}""", "Expected 'seq' to be of type Integer.", null },
        { """{"type":"request","seq":5}""", "Missing required property 'command'.", 5 },
        { """{"type":"request","seq":5,"command":7}""", "Expected 'command' to be of type String.", 5 },
        { """{"type":"request","seq":5,"command":""}""", "must not be empty", 5 },
        { """{"type":"request","seq":5,"command":"x","arguments":[1]}""", "Expected 'arguments' to be of type Object.", 5 },
        { """{"type":"request","command":"x"}""", "Missing required property 'seq'.", null },
        { """{"type":"bogus","seq":8}""", "Unknown message type 'bogus'.", 8 },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void Malformed_frames_name_the_problem_and_recover_the_seq_when_they_can(string frame, string error, long? seq)
    {
        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(Encoding.UTF8.GetBytes(frame), false));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
        Assert.Equal(seq, ex.Seq);
    }

    [Fact]
    public void Deep_nesting_is_refused_without_crashing()
    {
        var frame = """{"type":"request","seq":1,"command":"x","arguments":{"a":""" + new string('[', 5000) + new string(']', 5000) + "}}";

        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(Encoding.UTF8.GetBytes(frame), false));

        Assert.Equal(1, ex.Seq);
    }
}
