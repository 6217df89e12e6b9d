using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>The <c>pipelinehost.msgpack</c> envelope: layout, payload placement, and parity with the JSON codec.</summary>
public sealed class MessagePackMessageCodecTests
{
    private static readonly MessagePackMessageCodec Codec = MessagePackMessageCodec.Instance;

    [Fact]
    public void Codec_is_selected_by_its_subprotocol_and_always_sends_binary_frames()
    {
        Assert.Equal("pipelinehost.msgpack", Codec.SubProtocol);
        Assert.Equal(MessagePackMessageCodec.SubProtocolName, Codec.SubProtocol);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        Assert.True(Codec.Encode(new EventMessage("e", []) { Seq = 1 }, buffer));
        Assert.True(Codec.Encode(new RequestMessage("status") { Seq = 2 }, buffer));
    }

    [Fact]
    public void Request_payload_travels_as_bin_at_arguments_data()
    {
        var request = new RequestMessage("execute")
        {
            Seq = 3,
            Arguments = new JsonObject { ["token"] = "t" },
            Data = new byte[] { 0, 10, 255 },
        };

        var bytes = Codec.EncodeToArray(request);

        var map = (MsgMap)MsgValue.Decode(bytes);
        var arguments = (MsgMap)Entry(map, "arguments");
        Assert.Equal("00 0A FF", Convert.ToHexString(((MsgBin)Entry(arguments, "data")).Value).Insert(4, " ").Insert(2, " "));
        Assert.Equal(["type", "seq", "command", "arguments"], map.Entries.Select(e => ((MsgStr)e.Key).Value));
        MessageAssert.Equal(request, Codec.Decode(bytes, binaryFrame: true));
    }

    [Fact]
    public void Response_payload_travels_as_bin_at_top_level_data()
    {
        var response = new ResponseMessage(7, "fetch", true) { Seq = 9, Body = new JsonObject { ["n"] = 1 }, Data = new byte[] { 1, 2 } };

        var bytes = Codec.EncodeToArray(response);

        var map = (MsgMap)MsgValue.Decode(bytes);
        Assert.Equal("0102", Convert.ToHexString(((MsgBin)Entry(map, "data")).Value));
        Assert.Equal(["type", "seq", "request_seq", "command", "success", "body", "data"], map.Entries.Select(e => ((MsgStr)e.Key).Value));
        MessageAssert.Equal(response, Codec.Decode(bytes, binaryFrame: true));
    }

    [Fact]
    public void Payload_without_arguments_gets_an_arguments_map_like_the_json_codec()
    {
        var request = new RequestMessage("upload") { Seq = 1, Data = new byte[] { 42 } };

        var viaMsgPack = Codec.Decode(Codec.EncodeToArray(request), binaryFrame: true);
        var viaJson = JsonMessageCodec.Instance.Decode(JsonMessageCodec.Instance.EncodeToArray(request, out var binary), binary);

        MessageAssert.Equal(viaJson, viaMsgPack);
        MessageAssert.JsonEqual(new JsonObject(), ((RequestMessage)viaMsgPack).Arguments);
    }

    [Fact]
    public void A_json_data_argument_gives_way_to_the_payload()
    {
        var request = new RequestMessage("upload") { Seq = 1, Arguments = new JsonObject { ["data"] = "stale", ["x"] = 1 }, Data = new byte[] { 42 } };

        var bytes = Codec.EncodeToArray(request);

        var arguments = (MsgMap)Entry((MsgMap)MsgValue.Decode(bytes), "arguments");
        Assert.Equal(2, arguments.Entries.Count); // written once, no duplicate key
        var decoded = (RequestMessage)Codec.Decode(bytes, binaryFrame: true);
        Assert.Equal([42], decoded.Data!.Value.ToArray());
        MessageAssert.JsonEqual(new JsonObject { ["x"] = 1 }, decoded.Arguments);
    }

    [Fact]
    public void Bin_anywhere_else_becomes_base64()
    {
        // A response's arguments.data and a request's top-level data are not payload locations.
        var request = Frame(w =>
        {
            w.WriteMapHeader(4);
            Pair(w, "type", "request");
            w.WriteString("seq");
            w.Write(1L);
            Pair(w, "command", "c");
            w.WriteString("data");
            w.WriteBinary([1, 2, 3]);
        });
        var response = Frame(w =>
        {
            w.WriteMapHeader(5);
            Pair(w, "type", "response");
            w.WriteString("success");
            w.Write(true);
            Pair(w, "command", "c");
            w.WriteString("body");
            w.WriteMapHeader(1);
            w.WriteString("blob");
            w.WriteBinary([1, 2, 3]);
            w.WriteString("arguments");
            w.WriteMapHeader(1);
            w.WriteString("data");
            w.WriteBinary([4]);
        });

        var decodedRequest = (RequestMessage)Codec.Decode(request, binaryFrame: true);
        var decodedResponse = (ResponseMessage)Codec.Decode(response, binaryFrame: true);

        Assert.Null(decodedRequest.Data);
        Assert.Null(decodedResponse.Data);
        MessageAssert.JsonEqual(new JsonObject { ["blob"] = "AQID" }, decodedResponse.Body);
    }

    [Fact]
    public void Text_frames_and_non_maps_are_rejected()
    {
        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode([0x80], binaryFrame: false));
        Assert.Equal("The pipelinehost.msgpack subprotocol carries binary frames only; a text frame arrived.", ex.Message);

        ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode([0x91, 0xc0], binaryFrame: true));
        Assert.Equal("A message must be a MessagePack map.", ex.Message);

        ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode([], binaryFrame: true));
        Assert.Equal("Invalid MessagePack at offset 0: unexpected end of input; expected another value.", ex.Message);
        Assert.IsType<MessagePackFormatException>(ex.InnerException);
    }

    [Fact]
    public void Seq_and_command_read_before_the_damage_are_recovered()
    {
        var frame = Frame(w =>
        {
            w.WriteMapHeader(4);
            Pair(w, "type", "request");
            w.WriteString("seq");
            w.Write(5L);
            Pair(w, "command", "run");
            w.WriteString("arguments");
            w.WriteRaw([0xc1]);
        });

        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(frame, binaryFrame: true));

        Assert.Equal(5, ex.Seq);
        Assert.Equal("run", ex.Command);
        Assert.Equal($"Invalid MessagePack at offset {frame.Length - 1}: 0xC1 is a reserved format byte and starts no value.", ex.Message);
    }

    [Fact]
    public void Damage_before_seq_leaves_it_unknown()
    {
        var frame = Frame(w =>
        {
            w.WriteMapHeader(2);
            w.Write(1L); // a non-string key
            w.WriteNil();
            w.WriteString("seq");
            w.Write(5L);
        });

        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(frame, binaryFrame: true));

        Assert.Null(ex.Seq);
        Assert.Equal("Invalid MessagePack at offset 1: a map key must be a string but found positive fixint (0x01).", ex.Message);
    }

    [Fact]
    public void Non_string_key_inside_arguments_is_rejected_with_its_offset()
    {
        var frame = Frame(w =>
        {
            w.WriteMapHeader(4);
            Pair(w, "type", "request");
            w.WriteString("seq");
            w.Write(8L);
            Pair(w, "command", "run");
            w.WriteString("arguments");
            w.WriteMapHeader(1);
            w.WriteNil();
            w.WriteNil();
        });

        var ex = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(frame, binaryFrame: true));

        Assert.Equal(8, ex.Seq);
        Assert.Equal($"Invalid MessagePack at offset {frame.Length - 2}: a map key must be a string but found nil (0xC0).", ex.Message);
    }

    [Fact]
    public void Duplicate_envelope_keys_and_trailing_bytes_are_rejected()
    {
        var duplicate = Frame(w =>
        {
            w.WriteMapHeader(2);
            Pair(w, "type", "event");
            Pair(w, "type", "request");
        });
        var trailing = Codec.EncodeToArray(new EventMessage("e", []) { Seq = 1 }).Append((byte)0xc0).ToArray();

        Assert.Contains("duplicate map key 'type'", Assert.Throws<ProtocolFormatException>(() => Codec.Decode(duplicate, true)).Message, StringComparison.Ordinal);
        Assert.Contains("goes on for 1 more byte(s)", Assert.Throws<ProtocolFormatException>(() => Codec.Decode(trailing, true)).Message, StringComparison.Ordinal);
    }

    /// <summary>Envelopes EnvelopeReader rejects; both codecs must say exactly the same thing.</summary>
    [Theory]
    [InlineData("""{"seq":1,"command":"x"}""")]
    [InlineData("""{"type":"nope","seq":4}""")]
    [InlineData("""{"type":"request","seq":2}""")]
    [InlineData("""{"type":"request","seq":2,"command":""}""")]
    [InlineData("""{"type":"request","command":"x"}""")]
    [InlineData("""{"type":"request","seq":"1","command":"x"}""")]
    [InlineData("""{"type":"request","seq":1.5,"command":"x"}""")]
    [InlineData("""{"type":"request","seq":18446744073709551615,"command":"x"}""")]
    [InlineData("""{"type":"request","seq":3,"command":"x","arguments":[1]}""")]
    [InlineData("""{"type":"request","seq":3,"command":"x","token":5}""")]
    [InlineData("""{"type":7,"seq":3}""")]
    [InlineData("""{"type":"response","seq":3,"request_seq":"a","success":true}""")]
    [InlineData("""{"type":"response","seq":3,"request_seq":1}""")]
    [InlineData("""{"type":"response","seq":3,"success":"yes"}""")]
    [InlineData("""{"type":"event","seq":3}""")]
    [InlineData("""{"type":"event","seq":3,"event":"e","body":"b"}""")]
    public void Invalid_envelopes_fail_exactly_like_the_json_codec(string json)
    {
        var jsonError = Assert.Throws<ProtocolFormatException>(() => JsonMessageCodec.Instance.Decode(Encoding.UTF8.GetBytes(json), false));
        var frame = MessagePackJson.Serialize(JsonNode.Parse(json));

        var error = Assert.Throws<ProtocolFormatException>(() => Codec.Decode(frame, binaryFrame: true));

        Assert.Equal(jsonError.Message, error.Message);
        Assert.Equal(jsonError.Seq, error.Seq);
        Assert.Equal(jsonError.Command, error.Command);
    }

    [Theory]
    [InlineData(61)]
    [InlineData(62)]
    [InlineData(63)]
    public void Both_codecs_draw_the_nesting_limit_at_the_same_depth(int arrays)
    {
        var json = "{\"type\":\"request\",\"seq\":1,\"command\":\"x\",\"arguments\":{\"a\":"
            + new string('[', arrays) + new string(']', arrays) + "}}";
        var frame = MessagePackJson.Serialize(JsonNode.Parse(json, documentOptions: new() { MaxDepth = 128 }));

        var jsonOk = Succeeds(() => JsonMessageCodec.Instance.Decode(Encoding.UTF8.GetBytes(json), false));
        var msgpackOk = Succeeds(() => Codec.Decode(frame, binaryFrame: true));

        Assert.Equal(jsonOk, msgpackOk);
        Assert.Equal(arrays <= 62, msgpackOk);
    }

    private static bool Succeeds(Func<ProtocolMessage> decode)
    {
        try
        {
            decode();
            return true;
        }
        catch (ProtocolFormatException)
        {
            return false;
        }
    }

    private static MsgValue Entry(MsgMap map, string key) => map.Entries.Single(e => e.Key is MsgStr s && s.Value == key).Value;

    private static void Pair(FrameWriter writer, string key, string value)
    {
        writer.WriteString(key);
        writer.WriteString(value);
    }

    private static byte[] Frame(Action<FrameWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        write(new FrameWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
