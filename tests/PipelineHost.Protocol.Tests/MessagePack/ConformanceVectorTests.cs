using System.Buffers;
using System.Text;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>The codec against an independent implementation's encodings (tests/vectors/msgpack).</summary>
public sealed class ConformanceVectorTests
{
    // Every split point of a vector is tried up to this size; larger ones get a sample (see below).
    private const int ExhaustiveSplitLimit = 2048;

    [Fact]
    public void The_vectors_come_from_the_reference_implementation()
    {
        Assert.Equal("@msgpack/msgpack", ConformanceVectors.Generator);
        Assert.True(ConformanceVectors.Values.Count() > 100);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.Names), MemberType = typeof(ConformanceVectors))]
    public void Decoding_gives_the_described_value(string name)
    {
        var vector = ConformanceVectors.Get(name);

        var actual = MsgValue.Decode(vector.Bytes);

        AssertSame(vector.Expected, actual);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.Names), MemberType = typeof(ConformanceVectors))]
    public void Encoding_the_description_gives_the_reference_bytes(string name)
    {
        var vector = ConformanceVectors.Get(name);

        var bytes = vector.Expected.Encode();

        AssertBytes(vector.Bytes, bytes);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.Names), MemberType = typeof(ConformanceVectors))]
    public void Decoding_then_encoding_is_byte_exact(string name)
    {
        var vector = ConformanceVectors.Get(name);

        var bytes = MsgValue.Decode(vector.Bytes).Encode();

        AssertBytes(vector.Bytes, bytes);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.Names), MemberType = typeof(ConformanceVectors))]
    public void Decoding_a_split_sequence_gives_the_same_value(string name)
    {
        var vector = ConformanceVectors.Get(name);
        var expected = vector.Expected;
        var bytes = vector.Bytes;

        foreach (var offset in SplitPoints(bytes.Length))
        {
            var actual = MsgValue.Decode(TestBuffers.Split(bytes, offset));
            if (!expected.Same(actual))
            {
                Assert.Fail($"Split at {offset}: expected {expected}, got {actual}");
            }
        }

        // Three pieces with an empty one in between, and the worst case: one byte per segment.
        var third = bytes.Length / 3;
        AssertSame(expected, MsgValue.Decode(TestBuffers.Split(bytes, third, third, 2 * third)));
        AssertSame(expected, MsgValue.Decode(TestBuffers.OneBytePerSegment(bytes)));
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.Names), MemberType = typeof(ConformanceVectors))]
    public void Json_faithful_vectors_round_trip_through_a_json_tree_byte_exactly(string name)
    {
        var vector = ConformanceVectors.Get(name);
        if (!vector.Expected.IsJsonFaithful)
        {
            return; // bin, ext, timestamps and float32 map to JSON one way only, by design
        }

        // The deepest vector nests 100 arrays, beyond the default limit of 64.
        var tree = MessagePackJson.Deserialize(vector.Bytes, maxDepth: 128);
        var split = MessagePackJson.Deserialize(TestBuffers.Split(vector.Bytes, vector.Bytes.Length / 2), maxDepth: 128);

        AssertBytes(vector.Bytes, MessagePackJson.Serialize(tree));
        MessageAssert.JsonEqual(tree, split);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.EnvelopeNames), MemberType = typeof(ConformanceVectors))]
    public void Envelope_decodes_to_the_same_message_as_its_json_form(string name)
    {
        var vector = ConformanceVectors.GetEnvelope(name);
        var expected = DecodeJsonForm(vector);

        var actual = MessagePackMessageCodec.Instance.Decode(vector.Bytes, binaryFrame: true);

        MessageAssert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(ConformanceVectors.EnvelopeNames), MemberType = typeof(ConformanceVectors))]
    public void Envelope_encodes_to_the_reference_bytes(string name)
    {
        var vector = ConformanceVectors.GetEnvelope(name);
        var message = DecodeJsonForm(vector);

        var bytes = MessagePackMessageCodec.Instance.EncodeToArray(message);

        AssertBytes(vector.Bytes, bytes);
    }

    /// <summary>The same message through the JSON codec: header, newline, payload when there is one.</summary>
    private static ProtocolMessage DecodeJsonForm(ConformanceVectors.EnvelopeVector vector)
    {
        var header = Encoding.UTF8.GetBytes(vector.Json);
        if (vector.Data is null)
        {
            return JsonMessageCodec.Instance.Decode(header, binaryFrame: false);
        }

        var frame = header.Append((byte)'\n').Concat(vector.Data).ToArray();
        return JsonMessageCodec.Instance.Decode(frame, binaryFrame: true);
    }

    /// <summary>
    /// Every offset for small vectors. For the 64 KiB ones, every offset in the first and last 32 bytes
    /// (where the outer header and the last element's header sit) and 16 points in between: each split
    /// decodes the whole vector, so all offsets would be quadratic in its size.
    /// </summary>
    private static IEnumerable<int> SplitPoints(int length)
    {
        if (length <= ExhaustiveSplitLimit)
        {
            return Enumerable.Range(1, Math.Max(0, length - 1));
        }

        return Enumerable.Range(1, 32)
            .Concat(Enumerable.Range(length - 32, 31))
            .Concat(Enumerable.Range(1, 16).Select(i => (int)((long)length * i / 17)))
            .Distinct()
            .Order();
    }

    private static void AssertSame(MsgValue expected, MsgValue actual)
    {
        if (!expected.Same(actual))
        {
            Assert.Fail($"Expected {expected}\nActual   {actual}");
        }
    }

    private static void AssertBytes(byte[] expected, byte[] actual)
    {
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            var at = expected.AsSpan().CommonPrefixLength(actual);
            Assert.Fail($"Bytes differ at offset {at} (lengths {expected.Length} vs {actual.Length}).\n" +
                $"Expected …{Hex(expected, at)}\nActual   …{Hex(actual, at)}");
        }
    }

    private static string Hex(byte[] bytes, int at) =>
        Convert.ToHexString(bytes.AsSpan(Math.Max(0, at - 8), Math.Min(bytes.Length - Math.Max(0, at - 8), 24)));
}
