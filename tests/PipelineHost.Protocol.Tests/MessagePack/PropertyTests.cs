using System.Buffers;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MessagePack;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;
using G = PipelineHost.Protocol.Tests.MessagePack.MessagePackGenerators;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>Round trips over random inputs (FsCheck; a failure prints the seed to replay it).</summary>
public sealed class PropertyTests
{
    [Property(MaxTest = 1000)]
    public Property Int64_round_trips_in_the_smallest_encoding() => Prop.ForAll(G.Int64.ToArbitrary(), value =>
    {
        var bytes = Encode(w => w.Write(value));
        var reader = new MessagePackReader(bytes);
        return reader.ReadInt64() == value && reader.End && bytes.Length == SmallestSize(value);
    });

    [Property(MaxTest = 1000)]
    public Property UInt64_round_trips_in_the_smallest_encoding() => Prop.ForAll(G.UInt64.ToArbitrary(), value =>
    {
        var bytes = Encode(w => w.Write(value));
        var reader = new MessagePackReader(bytes);
        var expectedSize = value > long.MaxValue ? 9 : SmallestSize((long)value);
        return reader.ReadUInt64() == value && reader.End && bytes.Length == expectedSize;
    });

    [Property(MaxTest = 1000)]
    public Property Doubles_round_trip_bit_for_bit() => Prop.ForAll(G.Double.ToArbitrary(), value =>
    {
        var bytes = Encode(w => w.Write(value));
        return BitConverter.DoubleToInt64Bits(new MessagePackReader(bytes).ReadDouble()) == BitConverter.DoubleToInt64Bits(value)
            && bytes.Length == 9;
    });

    [Property(MaxTest = 500)]
    public Property Floats_round_trip_bit_for_bit() => Prop.ForAll(G.Single.ToArbitrary(), value =>
        BitConverter.SingleToInt32Bits(new MessagePackReader(Encode(w => w.Write(value))).ReadSingle()) == BitConverter.SingleToInt32Bits(value));

    [Property(MaxTest = 300)]
    public Property Strings_round_trip_whole_and_split() => Prop.ForAll(
        Gen.Zip(G.String, Gen.Choose(0, int.MaxValue)).ToArbitrary(),
        t =>
        {
            var (text, split) = t;
            var bytes = Encode(w => w.WriteString(text));
            var sequence = TestBuffers.Split(bytes, split % (bytes.Length + 1));
            return new MessagePackReader(bytes).ReadString() == text
                && new MessagePackReader(sequence).ReadString() == text;
        });

    [Property(MaxTest = 100)]
    public Property Strings_without_a_utf8_form_are_refused_by_the_writer() => Prop.ForAll(G.InvalidString.ToArbitrary(), text =>
    {
        // The package would write U+FFFD for a lone surrogate; the codec refuses it, as Utf8JsonWriter does.
        Assert.ThrowsAny<ArgumentException>(() => MessagePackJson.Serialize(JsonValue.Create(text)));
        Assert.ThrowsAny<ArgumentException>(() => MessagePackJson.Serialize(new JsonObject { [text] = 1 }));
        return true;
    });

    [Property(MaxTest = 300)]
    public Property Binary_round_trips_whole_and_split() => Prop.ForAll(
        Gen.Zip(G.Bytes, Gen.Choose(0, int.MaxValue)).ToArbitrary(),
        t =>
        {
            var (data, split) = t;
            var bytes = Encode(w => w.WriteBinary(data));
            var sequence = TestBuffers.Split(bytes, split % (bytes.Length + 1));
            return new MessagePackReader(bytes).ReadBytes()!.Value.ToArray().AsSpan().SequenceEqual(data)
                && new MessagePackReader(sequence).ReadBytes()!.Value.ToArray().AsSpan().SequenceEqual(data);
        });

    [Property(MaxTest = 300)]
    public Property Nested_values_round_trip_and_re_encode_identically() => Prop.ForAll(
        Gen.Zip(G.Value, Gen.Choose(0, int.MaxValue)).ToArbitrary(),
        t =>
        {
            var (value, split) = t;
            var bytes = value.Encode();
            var decoded = MsgValue.Decode(bytes);
            var fromSplit = MsgValue.Decode(TestBuffers.Split(bytes, split % (bytes.Length + 1)));
            var reader = new MessagePackReader(bytes);
            reader.Skip();

            return (decoded.Same(value) && fromSplit.Same(value) && reader.End
                    && decoded.Encode().AsSpan().SequenceEqual(bytes))
                .Label($"value {value}");
        });

    [Property(MaxTest = 300)]
    public Property Json_trees_round_trip() => Prop.ForAll(G.Json.ToArbitrary(), tree =>
    {
        var bytes = MessagePackJson.Serialize(tree);
        var back = MessagePackJson.Deserialize(bytes);
        return (JsonNode.DeepEquals(tree, back) && MessagePackJson.Serialize(back).AsSpan().SequenceEqual(bytes))
            .Label($"tree {tree?.ToJsonString()}");
    });

    [Property(MaxTest = 300)]
    public Property Messages_round_trip_exactly_like_through_the_json_codec() => Prop.ForAll(G.Message.ToArbitrary(), message =>
    {
        var viaJson = RoundTrip(() =>
        {
            var bytes = JsonMessageCodec.Instance.EncodeToArray(message, out var binary);
            return JsonMessageCodec.Instance.Decode(bytes, binary);
        });
        var viaMsgPack = RoundTrip(() => MessagePackMessageCodec.Instance.Decode(MessagePackMessageCodec.Instance.EncodeToArray(message), binaryFrame: true));

        if (viaJson.Error is not null || viaMsgPack.Error is not null)
        {
            // An envelope EnvelopeReader refuses (e.g. an empty command) must be refused with the same words.
            Assert.Equal(viaJson.Error, viaMsgPack.Error);
        }
        else
        {
            MessageAssert.Equal(viaJson.Message!, viaMsgPack.Message!);
        }
    });

    private static (ProtocolMessage? Message, string? Error) RoundTrip(Func<ProtocolMessage> roundTrip)
    {
        try
        {
            return (roundTrip(), null);
        }
        catch (ProtocolFormatException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>The size the specification's smallest encoding takes, derived independently of the writer.</summary>
    private static int SmallestSize(long value) => value switch
    {
        >= -32 and <= 127 => 1,
        >= sbyte.MinValue and <= byte.MaxValue => 2,
        >= short.MinValue and <= ushort.MaxValue => 3,
        >= int.MinValue and <= uint.MaxValue => 5,
        _ => 9,
    };

    private static byte[] Encode(Action<FrameWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new FrameWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
