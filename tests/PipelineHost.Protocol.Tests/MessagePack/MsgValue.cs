using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MessagePack;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>
/// A MessagePack value as the wire sees it (float32 apart from float64, bin apart from str, exact bits),
/// used to compare the codec with the reference vectors without going through JSON's lossy number model.
/// </summary>
internal abstract record MsgValue
{
    public static readonly MsgValue Nil = new MsgNil();

    /// <summary>Reads one value with the package's reader.</summary>
    public static MsgValue Read(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return Nil;
            case MessagePackType.Boolean:
                return new MsgBool(reader.ReadBoolean());
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64
                    ? new MsgInt(reader.ReadUInt64())
                    : new MsgInt(reader.ReadInt64());
            case MessagePackType.Float:
                return reader.NextCode == MessagePackCode.Float32
                    ? new MsgFloat32(BitConverter.SingleToInt32Bits(reader.ReadSingle()))
                    : new MsgFloat64(BitConverter.DoubleToInt64Bits(reader.ReadDouble()));
            case MessagePackType.String:
                return new MsgStr(reader.ReadString()!);
            case MessagePackType.Binary:
                return new MsgBin(reader.ReadBytes()!.Value.ToArray());
            case MessagePackType.Array:
                var count = reader.ReadArrayHeader();
                var items = new List<MsgValue>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(Read(ref reader));
                }

                return new MsgArray(items);
            case MessagePackType.Map:
                var entries = reader.ReadMapHeader();
                var pairs = new List<KeyValuePair<MsgValue, MsgValue>>(entries);
                for (var i = 0; i < entries; i++)
                {
                    var key = Read(ref reader);
                    pairs.Add(new(key, Read(ref reader)));
                }

                return new MsgMap(pairs);
            case MessagePackType.Extension:
                var start = reader.Consumed;
                var header = reader.ReadExtensionFormatHeader();
                var data = reader.ReadRaw(header.Length);
                if (header.TypeCode == MessagePackTimestamp.ExtensionType)
                {
                    var ts = MessagePackTimestamp.Decode(data, start);
                    return new MsgTimestamp(ts.Seconds, ts.Nanoseconds);
                }

                return new MsgExt(header.TypeCode, data.ToArray());
            default:
                throw new MessagePackFormatException(reader.Consumed, $"0x{reader.NextCode:X2} is a reserved format byte and starts no value.");
        }
    }

    public static MsgValue Decode(ReadOnlySequence<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        var value = Read(ref reader);
        Assert.True(reader.End, $"{reader.Sequence.Length - reader.Consumed} bytes left after the value");
        return value;
    }

    public static MsgValue Decode(byte[] bytes) => Decode(new ReadOnlySequence<byte>(bytes));

    public abstract void Write(FrameWriter writer);

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(new FrameWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses the tagged description scheme of tests/vectors/msgpack/README.md.</summary>
    public static MsgValue FromDescription(JsonElement d)
    {
        switch (d.ValueKind)
        {
            case JsonValueKind.Null:
                return Nil;
            case JsonValueKind.True:
                return new MsgBool(true);
            case JsonValueKind.False:
                return new MsgBool(false);
            case JsonValueKind.String:
                return new MsgStr(d.GetString()!);
            case JsonValueKind.Array:
                return new MsgArray(d.EnumerateArray().Select(FromDescription).ToList());
        }

        if (d.TryGetProperty("int", out var i))
        {
            return new MsgInt(Int128.Parse(i.GetString()!, CultureInfo.InvariantCulture));
        }

        if (d.TryGetProperty("float64", out var f64))
        {
            return new MsgFloat64(f64.ValueKind == JsonValueKind.String
                ? f64.GetString() switch
                {
                    "NaN" => 0x7ff8000000000000, // the quiet NaN JavaScript writes
                    "Infinity" => BitConverter.DoubleToInt64Bits(double.PositiveInfinity),
                    "-Infinity" => BitConverter.DoubleToInt64Bits(double.NegativeInfinity),
                    "-0" => BitConverter.DoubleToInt64Bits(-0.0),
                    var other => throw new InvalidDataException($"bad float64 {other}"),
                }
                : BitConverter.DoubleToInt64Bits(f64.GetDouble()));
        }

        if (d.TryGetProperty("float32", out var f32))
        {
            return new MsgFloat32(f32.ValueKind == JsonValueKind.String
                ? f32.GetString() switch
                {
                    "NaN" => 0x7fc00000,
                    "Infinity" => BitConverter.SingleToInt32Bits(float.PositiveInfinity),
                    "-Infinity" => BitConverter.SingleToInt32Bits(float.NegativeInfinity),
                    "-0" => BitConverter.SingleToInt32Bits(-0.0f),
                    var other => throw new InvalidDataException($"bad float32 {other}"),
                }
                : BitConverter.SingleToInt32Bits((float)f32.GetDouble()));
        }

        if (d.TryGetProperty("bin", out var bin))
        {
            return new MsgBin(Convert.FromHexString(bin.GetString()!));
        }

        if (d.TryGetProperty("bin_range", out var binRange))
        {
            return new MsgBin(Range(binRange.GetInt32()));
        }

        if (d.TryGetProperty("ext", out var ext))
        {
            var data = d.TryGetProperty("data_range", out var range)
                ? Range(range.GetInt32())
                : Convert.FromHexString(d.GetProperty("data").GetString()!);
            return new MsgExt(ext.GetSByte(), data);
        }

        if (d.TryGetProperty("timestamp", out var ts))
        {
            return new MsgTimestamp(
                long.Parse(ts.GetProperty("sec").GetString()!, CultureInfo.InvariantCulture),
                ts.GetProperty("nsec").GetUInt32());
        }

        if (d.TryGetProperty("map", out var map))
        {
            return new MsgMap(map.EnumerateArray()
                .Select(e => new KeyValuePair<MsgValue, MsgValue>(FromDescription(e[0]), FromDescription(e[1])))
                .ToList());
        }

        if (d.TryGetProperty("map_range", out var mapRange))
        {
            return new MsgMap(Enumerable.Range(0, mapRange.GetInt32())
                .Select(k => new KeyValuePair<MsgValue, MsgValue>(new MsgStr(k.ToString(CultureInfo.InvariantCulture)), Nil))
                .ToList());
        }

        if (d.TryGetProperty("repeat", out var repeat))
        {
            var count = d.GetProperty("count").GetInt32();
            return new MsgArray(Enumerable.Range(0, count).Select(_ => FromDescription(repeat)).ToList());
        }

        if (d.TryGetProperty("str_repeat", out var unit))
        {
            var builder = new StringBuilder();
            builder.Insert(0, unit.GetString(), d.GetProperty("count").GetInt32());
            return new MsgStr(builder.ToString());
        }

        throw new InvalidDataException($"unknown description {d}");
    }

    /// <summary>True when the value and everything in it has a faithful JSON tree form (see MessagePackJson).</summary>
    public abstract bool IsJsonFaithful { get; }

    /// <summary>Structural equality on exact bits; records alone would compare arrays by reference.</summary>
    public abstract bool Same(MsgValue other);

    public static byte[] Range(int count) => Enumerable.Range(0, count).Select(i => (byte)i).ToArray();

    public override string ToString()
    {
        var text = Render();
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    protected abstract string Render();
}

internal sealed record MsgNil : MsgValue
{
    public override void Write(FrameWriter writer) => writer.WriteNil();
    public override bool IsJsonFaithful => true;
    public override bool Same(MsgValue other) => other is MsgNil;
    protected override string Render() => "nil";
}

internal sealed record MsgBool(bool Value) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.Write(Value);
    public override bool IsJsonFaithful => true;
    public override bool Same(MsgValue other) => other is MsgBool b && b.Value == Value;
    protected override string Render() => Value ? "true" : "false";
}

internal sealed record MsgInt(Int128 Value) : MsgValue
{
    public override void Write(FrameWriter writer)
    {
        if (Value < 0)
        {
            writer.Write((long)Value);
        }
        else
        {
            writer.Write((ulong)Value);
        }
    }

    public override bool IsJsonFaithful => true;
    public override bool Same(MsgValue other) => other is MsgInt i && i.Value == Value;
    protected override string Render() => Value.ToString(CultureInfo.InvariantCulture);
}

internal sealed record MsgFloat64(long Bits) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.Write(BitConverter.Int64BitsToDouble(Bits));
    public override bool IsJsonFaithful => true;
    public override bool Same(MsgValue other) => other is MsgFloat64 f && f.Bits == Bits;
    protected override string Render() => $"f64:{BitConverter.Int64BitsToDouble(Bits).ToString("R", CultureInfo.InvariantCulture)}";
}

internal sealed record MsgFloat32(int Bits) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.Write(BitConverter.Int32BitsToSingle(Bits));
    public override bool IsJsonFaithful => false; // widened to double in a JSON tree
    public override bool Same(MsgValue other) => other is MsgFloat32 f && f.Bits == Bits;
    protected override string Render() => $"f32:{BitConverter.Int32BitsToSingle(Bits).ToString("R", CultureInfo.InvariantCulture)}";
}

internal sealed record MsgStr(string Value) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.WriteString(Value);
    public override bool IsJsonFaithful => true;
    public override bool Same(MsgValue other) => other is MsgStr s && s.Value == Value;
    protected override string Render() => JsonSerializer.Serialize(Value);
}

internal sealed record MsgBin(byte[] Value) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.WriteBinary(Value);
    public override bool IsJsonFaithful => false;
    public override bool Same(MsgValue other) => other is MsgBin b && b.Value.AsSpan().SequenceEqual(Value);
    protected override string Render() => $"bin:{Convert.ToHexString(Value)}";
}

internal sealed record MsgExt(sbyte Type, byte[] Data) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.WriteExtension(Type, Data);
    public override bool IsJsonFaithful => false;
    public override bool Same(MsgValue other) => other is MsgExt e && e.Type == Type && e.Data.AsSpan().SequenceEqual(Data);
    protected override string Render() => $"ext{Type}:{Convert.ToHexString(Data)}";
}

internal sealed record MsgTimestamp(long Seconds, uint Nanoseconds) : MsgValue
{
    public override void Write(FrameWriter writer) => writer.WriteTimestamp(Seconds, Nanoseconds);
    public override bool IsJsonFaithful => false; // becomes an ISO-8601 string
    public override bool Same(MsgValue other) => other is MsgTimestamp t && t.Seconds == Seconds && t.Nanoseconds == Nanoseconds;
    protected override string Render() => $"ts:{Seconds}s+{Nanoseconds}ns";
}

internal sealed record MsgArray(IReadOnlyList<MsgValue> Items) : MsgValue
{
    public override void Write(FrameWriter writer)
    {
        writer.WriteArrayHeader(Items.Count);
        foreach (var item in Items)
        {
            item.Write(writer);
        }
    }

    public override bool IsJsonFaithful => Items.All(i => i.IsJsonFaithful);

    public override bool Same(MsgValue other)
    {
        if (other is not MsgArray a || a.Items.Count != Items.Count)
        {
            return false;
        }

        for (var i = 0; i < Items.Count; i++)
        {
            if (!Items[i].Same(a.Items[i]))
            {
                return false;
            }
        }

        return true;
    }

    protected override string Render() => "[" + string.Join(",", Items.Take(20).Select(i => i.ToString())) + (Items.Count > 20 ? ",…" : "") + "]";
}

internal sealed record MsgMap(IReadOnlyList<KeyValuePair<MsgValue, MsgValue>> Entries) : MsgValue
{
    public override void Write(FrameWriter writer)
    {
        writer.WriteMapHeader(Entries.Count);
        foreach (var (key, value) in Entries)
        {
            key.Write(writer);
            value.Write(writer);
        }
    }

    public override bool IsJsonFaithful =>
        Entries.All(e => e.Key is MsgStr && e.Value.IsJsonFaithful)
        && Entries.Select(e => ((MsgStr)e.Key).Value).Distinct().Count() == Entries.Count;

    public override bool Same(MsgValue other)
    {
        if (other is not MsgMap m || m.Entries.Count != Entries.Count)
        {
            return false;
        }

        for (var i = 0; i < Entries.Count; i++)
        {
            if (!Entries[i].Key.Same(m.Entries[i].Key) || !Entries[i].Value.Same(m.Entries[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    protected override string Render() => "{" + string.Join(",", Entries.Take(20).Select(e => $"{e.Key}:{e.Value}")) + (Entries.Count > 20 ? ",…" : "") + "}";
}
