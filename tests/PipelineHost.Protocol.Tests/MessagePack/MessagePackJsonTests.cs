using System.Buffers;
using System.Text.Json.Nodes;
using MessagePack;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>The documented mapping between MessagePack values and JSON trees.</summary>
public sealed class MessagePackJsonTests
{
    [Fact]
    public void Reading_maps_each_type_to_its_json_form()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new FrameWriter(buffer);
        writer.WriteMapHeader(10);
        writer.WriteString("nil");
        writer.WriteNil();
        writer.WriteString("bool");
        writer.Write(true);
        writer.WriteString("int");
        writer.Write(-5L);
        writer.WriteString("big");
        writer.Write(ulong.MaxValue);
        writer.WriteString("f32");
        writer.Write(0.5f);
        writer.WriteString("f64");
        writer.Write(0.1);
        writer.WriteString("str");
        writer.WriteString("héllo");
        writer.WriteString("bin");
        writer.WriteBinary([0xde, 0xad, 0xbe, 0xef]);
        writer.WriteString("when");
        writer.WriteTimestamp(1_700_000_000, 123_000_000);
        writer.WriteString("list");
        writer.WriteArrayHeader(2);
        writer.Write(1L);
        writer.WriteString("two");

        var tree = MessagePackJson.Deserialize(buffer.WrittenMemory)!.AsObject();

        Assert.Null(tree["nil"]);
        Assert.True(tree.ContainsKey("nil"));
        Assert.True(tree["bool"]!.GetValue<bool>());
        Assert.Equal(-5L, tree["int"]!.GetValue<long>());
        Assert.Equal(ulong.MaxValue, tree["big"]!.GetValue<ulong>());
        Assert.Equal(0.5, tree["f32"]!.GetValue<double>());
        Assert.Equal(0.1, tree["f64"]!.GetValue<double>());
        Assert.Equal("héllo", tree["str"]!.GetValue<string>());
        Assert.Equal("3q2+7w==", tree["bin"]!.GetValue<string>());
        Assert.Equal("2023-11-14T22:13:20.123Z", tree["when"]!.GetValue<string>());
        Assert.Equal("""[1,"two"]""", tree["list"]!.ToJsonString());
    }

    [Fact]
    public void Integral_numbers_are_written_as_integers_and_others_as_float64()
    {
        Assert.Equal("05", Hex(JsonValue.Create(5)));
        Assert.Equal("05", Hex(JsonValue.Create(5L)));
        Assert.Equal("05", Hex(JsonValue.Create((byte)5)));
        Assert.Equal("05", Hex(JsonNode.Parse("5")));
        Assert.Equal("D0DF", Hex(JsonNode.Parse("-33")));
        Assert.Equal("CFFFFFFFFFFFFFFFFF", Hex(JsonValue.Create(ulong.MaxValue)));
        Assert.Equal("CFFFFFFFFFFFFFFFFF", Hex(JsonNode.Parse("18446744073709551615")));
        Assert.Equal("05", Hex(JsonValue.Create(5m)));

        // A number that is not an integer in its own type stays a float, even when its value is integral.
        Assert.Equal("CB4014000000000000", Hex(JsonValue.Create(5.0)));
        Assert.Equal("CB4014000000000000", Hex(JsonNode.Parse("5.0")));
        Assert.Equal("CB4059000000000000", Hex(JsonNode.Parse("1e2")));
        Assert.Equal("CB3FF8000000000000", Hex(JsonValue.Create(1.5f)));
        Assert.Equal("CB3FF8000000000000", Hex(JsonValue.Create(1.5m)));
        Assert.Equal("CB44B52D02C7E14AF6", Hex(JsonNode.Parse("1e23")));
        Assert.Equal("CB7FF0000000000000", Hex(JsonNode.Parse("1e400")));
    }

    [Fact]
    public void Other_values_are_written_as_their_json()
    {
        Assert.Equal("A178", Hex(JsonValue.Create('x')));
        Assert.Equal("C3", Hex(JsonNode.Parse("true")));
        Assert.Equal("C0", Hex(null));
        Assert.Equal("A0", Hex(JsonNode.Parse("\"\"")));
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        Assert.Equal(Hex(JsonValue.Create(guid.ToString())), Hex(JsonValue.Create(guid)));

        // A JsonValue holding a custom type writes as the object it serializes to.
        Assert.Equal("82A15801A159CB4004000000000000", Hex(JsonValue.Create(new Point(1, 2.5))));
    }

    public sealed record Point(int X, double Y);

    [Fact]
    public void Writing_keeps_key_order_and_reading_gives_it_back()
    {
        var tree = JsonNode.Parse("""{"z":1,"a":{"y":[true,null,"s"],"b":-1.5},"m":[]}""");

        var bytes = MessagePackJson.Serialize(tree);

        Assert.Equal(tree!.ToJsonString(), MessagePackJson.Deserialize(bytes)!.ToJsonString());
    }

    [Fact]
    public void Writing_a_tree_deeper_than_the_write_limit_fails()
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < MessagePackJson.MaxWriteDepth; i++)
        {
            node = new JsonArray(node);
        }

        Assert.Throws<InvalidOperationException>(() => MessagePackJson.Serialize(node));
    }

    [Fact]
    public void Reading_from_a_positioned_reader_leaves_the_rest()
    {
        var bytes = Convert.FromHexString("92A161C3" + "2A");
        var reader = new MessagePackReader(bytes);

        var node = MessagePackJson.Read(ref reader);

        Assert.Equal("""["a",true]""", node!.ToJsonString());
        Assert.Equal(42, reader.ReadInt64());
    }

    private static string Hex(JsonNode? node) => Convert.ToHexString(MessagePackJson.Serialize(node));
}
