using System.Buffers;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>Untrusted input: every malformed frame fails with an offset, fast, without big allocations or deep stacks.</summary>
public sealed class MalformedInputTests
{
    // What a rejected header may cost: the exception, its message and the copy of a small frame.
    private const long AllocationBudget = 1 << 20;

    /// <summary>(name, hex, the expected message fragment).</summary>
    public static TheoryData<string, string, string> Corpus() => new()
    {
        { "empty input", "", "offset 0: unexpected end of input" },
        { "reserved byte", "c1", "offset 0: 0xC1 is a reserved format byte" },
        { "reserved byte in an array", "9201c1", "offset 2: 0xC1 is a reserved format byte" },
        { "array count above the bytes left", "930102", "offset 0: fixarray count 3 exceeds the 2 remaining bytes." },
        { "array missing its last element", "93cd010203", "offset 5: unexpected end of input" },
        { "map missing a value", "82a16101a162", "offset 6: unexpected end of input" },

        // Truncated headers and fixed-size payloads of every kind.
        { "uint8", "cc", "offset 0: uint8 is truncated: it needs 1 more bytes after the format byte, 0 left." },
        { "uint16", "cd00", "offset 0: uint16 is truncated: it needs 2 more bytes after the format byte, 1 left." },
        { "uint32", "ce000000", "offset 0: uint32 is truncated: it needs 4 more bytes after the format byte, 3 left." },
        { "uint64", "cf00000000000000", "offset 0: uint64 is truncated: it needs 8 more bytes after the format byte, 7 left." },
        { "int8", "d0", "offset 0: int8 is truncated" },
        { "int16", "d100", "offset 0: int16 is truncated" },
        { "int32", "d2", "offset 0: int32 is truncated" },
        { "int64", "d3000000", "offset 0: int64 is truncated" },
        { "float32", "ca0000", "offset 0: float32 is truncated" },
        { "float64", "cb00", "offset 0: float64 is truncated" },
        { "str8 header", "d9", "offset 0: str8 is truncated" },
        { "str16 header", "da00", "offset 0: str16 is truncated" },
        { "str32 header", "db000000", "offset 0: str32 is truncated" },
        { "bin8 header", "c4", "offset 0: bin8 is truncated" },
        { "bin16 header", "c500", "offset 0: bin16 is truncated" },
        { "bin32 header", "c6", "offset 0: bin32 is truncated" },
        { "array16 header", "dc00", "offset 0: array16 is truncated" },
        { "array32 header", "dd000000", "offset 0: array32 is truncated" },
        { "map16 header", "de", "offset 0: map16 is truncated" },
        { "map32 header", "df0000", "offset 0: map32 is truncated" },
        { "ext8 without its type", "c701", "offset 0: ext8 is truncated: it needs 2 more bytes after the format byte, 1 left." },
        { "ext16 without its type", "c80001", "offset 0: ext16 is truncated: it needs 3 more bytes" },
        { "ext32 without its type", "c900000001", "offset 0: ext32 is truncated: it needs 5 more bytes" },
        { "fixext1 without its type", "d4", "offset 0: fixext1 is truncated: it needs 1 more bytes" },
        { "fixext8 data", "d7ff0102", "offset 0: fixext8 length 8 exceeds the 2 remaining bytes." },
        { "fixstr data", "a36162", "offset 0: fixstr length 3 exceeds the 2 remaining bytes." },
        { "truncated value inside a map", "81a161cd01", "offset 3: uint16 is truncated" },

        // Length prefixes that lie; the 4 GiB ones are also checked for allocations below.
        { "str32 of 4 GiB", "dbffffffff616263", "offset 0: str32 length 4294967295 exceeds the 3 remaining bytes." },
        { "str32 of 4 GiB at offset 17", "92d90e" + "4141414141414141414141414141" + "dbffffffff616263", // a 14-byte str8 at offsets 1..16
            "Invalid MessagePack at offset 17: str32 length 4294967295 exceeds the 3 remaining bytes." },
        { "bin32 of 4 GiB", "c6ffffffff000000", "offset 0: bin32 length 4294967295 exceeds the 3 remaining bytes." },
        { "ext32 of 4 GiB", "c9ffffffff0500", "offset 0: ext32 length 4294967295 exceeds the 1 remaining bytes." },
        { "array32 of 4G elements", "ddffffffff010203", "offset 0: array32 count 4294967295 exceeds the 3 remaining bytes." },
        { "map32 of 4G entries", "dfffffffff01", "offset 0: map32 count 4294967295 needs at least 8589934590 bytes, 1 left." },
        { "array16 longer than the input", "dc0100c0c0", "offset 0: array16 count 256 exceeds the 2 remaining bytes." },
        { "map16 longer than the input", "de0002c0c0c0", "offset 0: map16 count 2 needs at least 4 bytes, 3 left." },
        { "str16 longer than the input", "da0010616263", "offset 0: str16 length 16 exceeds the 3 remaining bytes." },

        // Content the tree conversion rejects.
        { "invalid UTF-8", "a2c328", "offset 0: fixstr is not valid UTF-8." },
        { "overlong UTF-8", "a2c080", "offset 0: fixstr is not valid UTF-8." },
        { "UTF-8 encoded surrogate", "a3eda080", "offset 0: fixstr is not valid UTF-8." },
        { "truncated UTF-8 sequence", "d902e282", "offset 0: str8 is not valid UTF-8." },
        { "integer map key", "810102", "offset 1: a map key must be a string but found positive fixint (0x01)." },
        { "nil map key", "81c002", "offset 1: a map key must be a string but found nil (0xC0)." },
        { "array map key", "8190a0", "offset 1: a map key must be a string but found fixarray (0x90)." },
        { "duplicate map key", "82a16101a16102", "offset 4: duplicate map key 'a'." },
        { "unknown extension", "d40500", "offset 0: extension type 5 has no JSON form" },
        { "timestamp of 2 bytes", "d5ff0000", "offset 0: a timestamp must have 4, 8 or 12 data bytes, not 2." },
        { "timestamp64 nanoseconds of 10^9", "d7ffee6b280000000000", "offset 0: timestamp nanoseconds 1000000000 exceed 999999999." },
        { "timestamp96 nanoseconds of 10^9", "c70cff3b9aca000000000000000000", "offset 0: timestamp nanoseconds 1000000000 exceed 999999999." },
        { "timestamp beyond year 9999", "c70cff000000004000000000000000", "offset 0: timestamp 4611686018427387904s lies outside years 1..9999" },
        { "trailing bytes", "c0c0c0", "offset 1: the value ends here but the input goes on for 2 more byte(s)." },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Malformed_input_is_rejected_with_its_offset(string name, string hex, string expected)
    {
        _ = name;
        var bytes = Convert.FromHexString(hex);

        var tree = Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(bytes));
        Assert.Contains(expected, tree.Message, StringComparison.Ordinal);
        Assert.StartsWith("Invalid MessagePack at offset ", tree.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Malformed_input_fails_the_same_way_when_split_across_segments(string name, string hex, string expected)
    {
        _ = name;
        var bytes = Convert.FromHexString(hex);
        for (var offset = 1; offset < bytes.Length; offset++)
        {
            var sequence = TestBuffers.Split(bytes, offset);
            var ex = Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(sequence));
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Offset_is_exposed_as_a_property()
    {
        var ex = Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(Convert.FromHexString("9201c1")));

        Assert.Equal(2, ex.Offset);
        Assert.Equal("0xC1 is a reserved format byte and starts no value.", ex.Detail);
        Assert.IsAssignableFrom<FormatException>(ex);
    }

    [Theory]
    [InlineData("dbffffffff616263")]
    [InlineData("c6ffffffff000000")]
    [InlineData("c9ffffffff0500")]
    [InlineData("ddffffffff010203")]
    [InlineData("dfffffffff01")]
    public void Headers_claiming_4_GiB_fail_without_allocating_it(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var frame = Convert.FromHexString("83a474797065a772657175657374a373657101a9617267756d656e7473" + "81a178" + hex);

        // Every entry point a peer's bytes can reach; run once first so JIT and type loading are not counted.
        Action[] decoders =
        [
            () => MessagePackJson.Deserialize(bytes),
            () => MessagePackMessageCodec.Instance.Decode(frame, binaryFrame: true),
        ];

        foreach (var decode in decoders)
        {
            Assert.ThrowsAny<FormatException>(decode);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.ThrowsAny<FormatException>(decode);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("4294967295", ex.Message, StringComparison.Ordinal);
            Assert.True(allocated < AllocationBudget, $"{allocated} bytes allocated rejecting {hex}");
        }
    }

    [Fact]
    public void Deep_nesting_fails_at_the_depth_limit_without_overflowing_the_stack()
    {
        const int depth = 100_000;
        var arrays = Enumerable.Repeat((byte)0x91, depth).Append((byte)0xc0).ToArray();
        var maps = Enumerable.Range(0, depth).SelectMany(_ => new byte[] { 0x81, 0xa0 }).Append((byte)0xc0).ToArray();

        var ex = Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(arrays));
        Assert.Contains("offset 64: arrays and maps nest deeper than the maximum depth of 64.", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(maps));
        Assert.Contains("offset 128: arrays and maps nest deeper than the maximum depth of 64.", ex.Message, StringComparison.Ordinal);

        // The limit is configurable, and exactly maxDepth levels are allowed.
        var sixtyFive = Enumerable.Repeat((byte)0x91, 64).Append((byte)0x90).ToArray();
        Assert.Throws<MessagePackFormatException>(() => MessagePackJson.Deserialize(sixtyFive));
        Assert.NotNull(MessagePackJson.Deserialize(sixtyFive, maxDepth: 65));
    }

    [Fact]
    public void Deeply_nested_envelope_is_a_protocol_error_with_the_offset()
    {
        // {"type":"request","seq":1,"command":"x","arguments":{"a":[[[...100k...]]]}}
        var prefix = Convert.FromHexString("84a474797065a772657175657374a373657101a7636f6d6d616e64a178a9617267756d656e747381a161");
        var frame = prefix.Concat(Enumerable.Repeat((byte)0x91, 100_000)).Append((byte)0xc0).ToArray();

        var ex = Assert.Throws<ProtocolFormatException>(() => MessagePackMessageCodec.Instance.Decode(frame, binaryFrame: true));

        Assert.Contains("nest deeper than the maximum depth of 64", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {prefix.Length + 62}:", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Seq);
        Assert.Equal("x", ex.Command);
    }

    [Fact]
    public void Random_garbage_either_decodes_or_fails_with_a_format_exception()
    {
        var random = new Random(20_240_229);
        var seeds = ConformanceVectors.Values.Where(v => v.Bytes.Length < 512).Select(v => v.Bytes)
            .Concat(ConformanceVectors.Envelopes.Select(e => e.Bytes))
            .ToArray();
        var outcomes = new int[2];

        for (var i = 0; i < 20_000; i++)
        {
            var bytes = i % 2 == 0 ? RandomBytes(random) : Mutate(random, seeds[random.Next(seeds.Length)]);
            outcomes[Decode(bytes) ? 0 : 1]++;
        }

        // Both outcomes must occur, or the fuzzer is not reaching past the first byte.
        Assert.True(outcomes[0] > 100, $"only {outcomes[0]} inputs decoded");
        Assert.True(outcomes[1] > 100, $"only {outcomes[1]} inputs failed");
    }

    /// <summary>Runs every decoder; true when the tree decoder accepted the input. Any other exception type fails the test.</summary>
    private static bool Decode(byte[] bytes)
    {
        var accepted = false;
        try
        {
            MessagePackJson.Deserialize(bytes);
            accepted = true;
        }
        catch (MessagePackFormatException)
        {
        }

        try
        {
            MessagePackMessageCodec.Instance.Decode(bytes, binaryFrame: true);
        }
        catch (ProtocolFormatException)
        {
        }

        return accepted;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 48)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = seed.ToArray();
        switch (random.Next(4))
        {
            case 0: // flip a few bytes
                for (var i = random.Next(1, 4); i > 0 && bytes.Length > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length + 1)];
            case 2: // a byte inserted
                var at = random.Next(bytes.Length + 1);
                return [.. bytes[..at], (byte)random.Next(256), .. bytes[at..]];
            default: // two seeds glued together
                return [.. bytes, .. seed[..random.Next(seed.Length + 1)]];
        }
    }
}
