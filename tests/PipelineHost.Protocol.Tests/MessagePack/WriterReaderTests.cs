using System.Buffers;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>Writer and reader behaviour the reference vectors cannot show: .NET types, argument checks, allocations.</summary>
public sealed class WriterReaderTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7F")]
    [InlineData(128L, "CC80")]
    [InlineData(-32L, "E0")]
    [InlineData(-33L, "D0DF")]
    [InlineData(int.MinValue, "D280000000")]
    [InlineData(int.MinValue - 1L, "D3FFFFFFFF7FFFFFFF")]
    [InlineData(long.MaxValue, "CF7FFFFFFFFFFFFFFF")]
    [InlineData(long.MinValue, "D38000000000000000")]
    public void Integers_use_the_smallest_encoding(long value, string hex)
    {
        Assert.Equal(hex, Encode(w => w.Write(value)));
        Assert.Equal(value, new MessagePackReader(Convert.FromHexString(hex)).ReadInt64());
    }

    [Fact]
    public void Reader_accepts_non_canonical_integer_encodings()
    {
        // Other writers may widen; the reader takes any format whose value fits.
        Assert.Equal(5, new MessagePackReader(Convert.FromHexString("CF0000000000000005")).ReadInt64());
        Assert.Equal(5, new MessagePackReader(Convert.FromHexString("D30000000000000005")).ReadInt64());
        Assert.Equal(5UL, new MessagePackReader(Convert.FromHexString("D005")).ReadUInt64());
        Assert.Equal(-1, new MessagePackReader(Convert.FromHexString("D1FFFF")).ReadInt64());
        Assert.Equal(ulong.MaxValue, new MessagePackReader(Convert.FromHexString("CFFFFFFFFFFFFFFFFF")).ReadUInt64());
        Assert.Equal(2.5, new MessagePackReader(Convert.FromHexString("CA40200000")).ReadDouble());
        Assert.Equal(300.0, new MessagePackReader(Convert.FromHexString("CD012C")).ReadDouble());
        Assert.Equal(1.8446744073709552E19, new MessagePackReader(Convert.FromHexString("CFFFFFFFFFFFFFFFFF")).ReadDouble());
    }

    [Fact]
    public void Floats_keep_their_width_and_bits()
    {
        Assert.Equal("CA3FC00000", Encode(w => w.Write(1.5f)));
        Assert.Equal("CB3FF8000000000000", Encode(w => w.Write(1.5)));
        Assert.Equal("CB8000000000000000", Encode(w => w.Write(-0.0)));
        Assert.Equal("CB3FF0000000000000", Encode(w => w.Write(1.0))); // a double stays a double, even when integral
    }

    [Fact]
    public void Timestamps_pick_the_smallest_of_the_three_formats()
    {
        Assert.Equal("D6FF00000000", Encode(w => w.WriteTimestamp(DateTimeOffset.UnixEpoch)));
        Assert.Equal("D6FFFFFFFFFF", Encode(w => w.WriteTimestamp(uint.MaxValue, 0)));
        Assert.Equal("D7FF0000000100000000", Encode(w => w.WriteTimestamp(1L << 32, 0)));
        Assert.Equal("D7FF00000004FFFFFFFF", Encode(w => w.WriteTimestamp(uint.MaxValue, 1)));
        Assert.Equal("C70CFF000000000000000400000000", Encode(w => w.WriteTimestamp(1L << 34, 0)));
        Assert.Equal("C70CFF00000000FFFFFFFFFFFFFFFF", Encode(w => w.WriteTimestamp(-1, 0)));

        // The same bytes @msgpack/msgpack wrote for these Dates.
        var vector = ConformanceVectors.Get("date 2024-02-29T12:34:56.789Z");
        Assert.Equal(Convert.ToHexString(vector.Bytes), Encode(w => w.WriteTimestamp(new DateTimeOffset(2024, 2, 29, 12, 34, 56, 789, TimeSpan.Zero))));
        vector = ConformanceVectors.Get("date 1969-12-31T23:59:59.999Z");
        Assert.Equal(Convert.ToHexString(vector.Bytes), Encode(w => w.WriteTimestamp(DateTimeOffset.UnixEpoch.AddMilliseconds(-1))));
    }

    [Fact]
    public void Timestamps_round_trip_through_DateTimeOffset_to_the_tick()
    {
        DateTimeOffset[] instants =
        [
            DateTimeOffset.MinValue,
            DateTimeOffset.MaxValue,
            DateTimeOffset.UnixEpoch.AddTicks(-1),
            new DateTimeOffset(2024, 2, 29, 12, 34, 56, TimeSpan.FromHours(5)).AddTicks(1234567),
        ];

        foreach (var instant in instants)
        {
            var bytes = Convert.FromHexString(Encode(w => w.WriteTimestamp(instant)));
            var read = new MessagePackReader(bytes).ReadTimestamp();
            Assert.Equal(instant, read.ToDateTimeOffset());
            Assert.Equal(TimeSpan.Zero, read.ToDateTimeOffset().Offset);
        }

        var beforeEpoch = MessagePackTimestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddTicks(-1));
        Assert.Equal(new MessagePackTimestamp(-1, 999_999_900), beforeEpoch);
    }

    [Fact]
    public void Timestamp_iso_strings_trim_the_fraction()
    {
        Assert.Equal("1970-01-01T00:00:00Z", new MessagePackTimestamp(0, 0).ToIsoString());
        Assert.Equal("2023-11-14T22:13:20.5Z", new MessagePackTimestamp(1_700_000_000, 500_000_000).ToIsoString());
        Assert.Equal("2023-11-14T22:13:20.123456789Z", new MessagePackTimestamp(1_700_000_000, 123_456_789).ToIsoString());
        Assert.Equal("1969-12-31T23:59:59.000000001Z", new MessagePackTimestamp(-1, 1).ToIsoString());
        Assert.Equal("0001-01-01T00:00:00Z", new MessagePackTimestamp(-62_135_596_800, 0).ToIsoString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackTimestamp(long.MaxValue, 0).ToIsoString());
        Assert.False(new MessagePackTimestamp(long.MinValue, 0).FitsDateTimeOffset);
    }

    [Fact]
    public void Writer_rejects_what_has_no_valid_encoding()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackWriter(buffer).WriteTimestamp(0, 1_000_000_000));
        Assert.Throws<ArgumentNullException>(() => new MessagePackWriter(buffer).WriteString((string)null!));
        Assert.ThrowsAny<ArgumentException>(() => new MessagePackWriter(buffer).WriteString("lone \ud800 surrogate"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackWriter(buffer).WriteArrayHeader(-1));
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Extension_headers_use_fixext_only_for_exact_lengths()
    {
        Assert.Equal("D40107", Encode(w => w.WriteExtension(1, [7])));
        Assert.Equal("C703010A0B0C", Encode(w => w.WriteExtension(1, [10, 11, 12])));
        Assert.Equal("C700FF", Encode(w => w.WriteExtension(-1, [])));

        var reader = new MessagePackReader(Convert.FromHexString("C703010A0B0C"));
        var header = reader.ReadExtensionHeader();
        Assert.Equal(new ExtensionHeader(1, 3), header);
        Assert.Equal("0A0B0C", Convert.ToHexString(reader.ReadRaw(header.Length).ToArray()));
        Assert.True(reader.End);
    }

    [Fact]
    public void Binary_is_a_slice_of_the_input_and_survives_segment_boundaries()
    {
        var bytes = Convert.FromHexString("C4050102030405C0");
        var sequence = TestBuffers.Split(bytes, 3, 5);
        var reader = new MessagePackReader(sequence);

        var data = reader.ReadBinary();

        Assert.False(data.IsSingleSegment);
        Assert.Equal("0102030405", Convert.ToHexString(data.ToArray()));
        Assert.True(reader.TryReadNil());
        Assert.Equal(bytes.Length, reader.Consumed);
    }

    [Fact]
    public void Peeking_does_not_consume()
    {
        var reader = new MessagePackReader(Convert.FromHexString("C0C3"));

        Assert.Equal(MessagePackType.Nil, reader.NextType);
        Assert.Equal(MessagePackCode.Nil, reader.NextCode);
        Assert.False(reader.TryReadNil() && reader.TryReadNil());
        Assert.Equal(1, reader.Consumed);
        Assert.Equal(MessagePackType.Boolean, reader.NextType);
        Assert.True(reader.ReadBoolean());
        Assert.True(reader.End);
    }

    [Fact]
    public void Writing_and_reading_scalars_allocates_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WriteScalars(buffer); // warm up: JIT, static initializers
        var bytes = buffer.WrittenMemory;

        buffer.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        WriteScalars(buffer);
        var sum = ReadScalars(bytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);

        static void WriteScalars(IBufferWriter<byte> output)
        {
            var writer = new MessagePackWriter(output);
            writer.WriteArrayHeader(9);
            writer.Write(-12345L);
            writer.Write(ulong.MaxValue);
            writer.Write(1.25);
            writer.Write(0.5f);
            writer.Write(true);
            writer.WriteNil();
            writer.WriteString("héllo, wörld");
            writer.WriteBinary([1, 2, 3]);
            writer.WriteTimestamp(1_700_000_000, 5);
        }

        static double ReadScalars(ReadOnlyMemory<byte> bytes)
        {
            var reader = new MessagePackReader(bytes);
            var sum = (double)reader.ReadArrayHeader();
            sum += reader.ReadInt64();
            sum += reader.ReadUInt64();
            sum += reader.ReadDouble();
            sum += reader.ReadSingle();
            sum += reader.ReadBoolean() ? 1 : 0;
            sum += reader.TryReadNil() ? 1 : 0;
            reader.Skip();
            sum += reader.ReadBinary().Length;
            sum += reader.ReadTimestamp().Nanoseconds;
            return sum;
        }
    }

    private static string Encode(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(buffer));
        return Convert.ToHexString(buffer.WrittenSpan);
    }
}
