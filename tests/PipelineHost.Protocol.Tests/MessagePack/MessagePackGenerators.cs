using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>
/// FsCheck generators biased towards the places where encodings change (format boundaries, every bit
/// pattern of a double, multi-byte UTF-8, 64 KiB lengths) rather than FsCheck's small default numbers.
/// </summary>
internal static class MessagePackGenerators
{
    private static readonly long[] Int64Edges =
    [
        0, 1, -1, 31, 32, -32, -33, 127, 128, -128, -129, 255, 256, short.MaxValue, short.MinValue, -32769,
        ushort.MaxValue, 65536, int.MaxValue, int.MinValue, int.MinValue - 1L, uint.MaxValue, uint.MaxValue + 1L,
        (1L << 34) - 1, 1L << 34, long.MaxValue, long.MinValue,
    ];

    private static readonly double[] DoubleEdges =
    [
        0.0, -0.0, 1.0, -1.0, 0.1, 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
        double.Epsilon, double.MaxValue, double.MinValue, 9007199254740993.0, 1e-310,
    ];

    // Any 64 bits: Choose is inclusive, so two halves cover the whole range.
    private static readonly Gen<long> Bits64 = Gen.Zip(
        Gen.Choose(int.MinValue, int.MaxValue),
        Gen.Choose(int.MinValue, int.MaxValue),
        (high, low) => ((long)high << 32) | (uint)low);

    public static readonly Gen<long> Int64 = Gen.Frequency(
        (2, Gen.Elements(Int64Edges)),
        (2, Gen.Zip(Gen.Elements(Int64Edges), Gen.Choose(-2, 2), (edge, delta) => unchecked(edge + delta))),
        (2, Bits64),
        (3, Gen.Zip(Bits64, Gen.Choose(0, 63), (bits, shift) => bits >> shift))); // every magnitude, both signs

    public static readonly Gen<ulong> UInt64 = Gen.Frequency(
        (1, Int64.Select(v => unchecked((ulong)v))),
        (1, Gen.Zip(Bits64, Gen.Choose(0, 63), (bits, shift) => unchecked((ulong)bits) >> shift)));

    public static readonly Gen<double> Double = Gen.Frequency(
        (1, Gen.Elements(DoubleEdges)),
        (2, Bits64.Select(BitConverter.Int64BitsToDouble)), // NaN payloads and subnormals included
        (2, Gen.Zip(Int64, Gen.Choose(1, 1000), (a, b) => (double)a / b)));

    public static readonly Gen<double> FiniteDouble = Double.Where(double.IsFinite);

    public static readonly Gen<float> Single = Gen.Frequency(
        (1, Gen.Elements(0f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, float.MaxValue, 1.1f)),
        (2, Gen.Choose(int.MinValue, int.MaxValue).Select(BitConverter.Int32BitsToSingle)));

    // Text pieces of every UTF-8 length: 1 byte, 2, 3 and 4 (a surrogate pair in UTF-16).
    private static readonly Gen<string> TextPiece = Gen.Frequency(
        (4, Gen.Choose(0x20, 0x7e).Select(c => ((char)c).ToString())),
        (1, Gen.Choose(0x00, 0x1f).Select(c => ((char)c).ToString())),
        (2, Gen.Choose(0x80, 0x7ff).Select(c => ((char)c).ToString())),
        (2, Gen.Choose(0x800, 0xd7ff).Select(c => ((char)c).ToString())),
        (1, Gen.Choose(0xe000, 0xffff).Select(c => ((char)c).ToString())),
        (2, Gen.Choose(0x10000, 0x10ffff).Select(char.ConvertFromUtf32)));

    /// <summary>Valid UTF-16 of any length; now and then just across a str header boundary.</summary>
    public static readonly Gen<string> String = Gen.Frequency(
        (8, Gen.Sized(size => Gen.Choose(0, size).SelectMany(n => Gen.ArrayOf(TextPiece, n)).Select(string.Concat))),
        (1, Gen.Zip(Gen.Elements(31, 32, 255, 256, 65535, 65536), TextPiece, (n, piece) => Repeat(piece, n))));

    /// <summary>Strings holding a lone surrogate, which have no UTF-8 form.</summary>
    public static readonly Gen<string> InvalidString = Gen.Zip(
        String,
        Gen.Choose(0xd800, 0xdfff),
        (text, surrogate) => text + (char)surrogate + "x");

    public static readonly Gen<byte[]> Bytes = Gen.Frequency(
        (8, Gen.Sized(size => Gen.Choose(0, size).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)))),
        (1, Gen.Zip(Gen.Elements(255, 256, 65535, 65536), Gen.Choose(0, 1000), (n, seed) => Filled(n, seed))));

    private static readonly Gen<byte[]> SmallBytes = Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    private static readonly Gen<MsgValue> Scalar = Gen.OneOf(
        Gen.Constant(MsgValue.Nil),
        Gen.Elements(true, false).Select(b => (MsgValue)new MsgBool(b)),
        Int64.Select(v => (MsgValue)new MsgInt(v)),
        UInt64.Select(v => (MsgValue)new MsgInt(v)),
        Double.Select(v => (MsgValue)new MsgFloat64(BitConverter.DoubleToInt64Bits(v))),
        Single.Select(v => (MsgValue)new MsgFloat32(BitConverter.SingleToInt32Bits(v))),
        String.Select(v => (MsgValue)new MsgStr(v)),
        Bytes.Select(v => (MsgValue)new MsgBin(v)),
        Gen.Zip(Gen.Choose(-128, 127).Where(t => t != -1), SmallBytes, (type, data) => (MsgValue)new MsgExt((sbyte)type, data)),
        Gen.Zip(Int64, Gen.Choose(0, 999_999_999), (s, n) => (MsgValue)new MsgTimestamp(s, (uint)n)));

    /// <summary>Any value, nested arrays and maps included; map keys may be of any type at this level.</summary>
    public static readonly Gen<MsgValue> Value = Gen.Sized(size => ValueOfSize(Math.Min(size, 64)));

    private static readonly Gen<string> Key = Gen.Frequency(
        (1, Gen.Elements("data", "type", "seq", "")),
        (5, String.Where(s => s.Length < 40)));

    private static readonly Gen<JsonNode?> JsonLeaf = Gen.OneOf(
        Gen.Constant<JsonNode?>(null),
        Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
        Int64.Select(v => (JsonNode?)JsonValue.Create(v)),
        Gen.Choose(int.MinValue, int.MaxValue).Select(v => (JsonNode?)JsonValue.Create(v)),
        UInt64.Where(v => v > long.MaxValue).Select(v => (JsonNode?)JsonValue.Create(v)),
        FiniteDouble.Select(v => (JsonNode?)JsonValue.Create(v)),
        String.Where(s => s.Length < 300).Select(v => (JsonNode?)JsonValue.Create(v)));

    /// <summary>JSON trees: finite numbers only, unique keys, shallow enough for the depth limit.</summary>
    public static readonly Gen<JsonNode?> Json = Gen.Sized(size => JsonOfSize(Math.Min(size, 40), 0));

    public static readonly Gen<JsonObject> JsonObject = Gen.Sized(size => ObjectOfSize(Math.Min(size, 40), 1));

    private static readonly Gen<ReadOnlyMemory<byte>?> Payload = Gen.Frequency(
        (1, Gen.Constant<ReadOnlyMemory<byte>?>(null)),
        (1, Bytes.Select(b => (ReadOnlyMemory<byte>?)b)));

    public static readonly Gen<ProtocolMessage> Message = Gen.OneOf(
        from seq in Int64
        from command in String
        from arguments in Gen.OrNull(JsonObject)
        from data in Payload
        from token in Gen.OrNull(String)
        select (ProtocolMessage)new RequestMessage(command) { Seq = seq, Arguments = arguments, Data = data, RootToken = token },
        from seq in Int64
        from requestSeq in Gen.Frequency((1, Gen.Constant<long?>(null)), (4, Int64.Select(v => (long?)v)))
        from command in String
        from success in Gen.Elements(true, false)
        from message in Gen.OrNull(String)
        from body in Json
        from data in Payload
        select (ProtocolMessage)new ResponseMessage(requestSeq, command, success) { Seq = seq, Message = message, Body = body, Data = data },
        from seq in Int64
        from name in String
        from body in JsonObject
        from id in Gen.OrNull(String)
        select (ProtocolMessage)new EventMessage(name, body) { Seq = seq, Id = id });

    private static Gen<MsgValue> ValueOfSize(int size)
    {
        if (size <= 1)
        {
            return Scalar;
        }

        var child = ValueOfSize(size / 2);
        var array = Gen.Choose(0, Math.Min(size, 20))
            .SelectMany(n => Gen.ArrayOf(child, n))
            .Select(items => (MsgValue)new MsgArray(items));
        var map = Gen.Choose(0, Math.Min(size, 20))
            .SelectMany(n => Gen.ArrayOf(Gen.Zip(Scalar, child, (k, v) => new KeyValuePair<MsgValue, MsgValue>(k, v)), n))
            .Select(entries => (MsgValue)new MsgMap(entries));
        return Gen.Frequency((3, Scalar), (1, array), (1, map));
    }

    private static Gen<JsonNode?> JsonOfSize(int size, int depth)
    {
        if (size <= 1 || depth > 8)
        {
            return JsonLeaf;
        }

        var array = Gen.Choose(0, Math.Min(size, 8))
            .SelectMany(n => Gen.ArrayOf(JsonOfSize(size / 2, depth + 1), n))
            .Select(items => (JsonNode?)new JsonArray(items));
        return Gen.Frequency((3, JsonLeaf), (1, array), (1, ObjectOfSize(size, depth + 1).Select(o => (JsonNode?)o)));
    }

    private static Gen<JsonObject> ObjectOfSize(int size, int depth) =>
        Gen.Choose(0, Math.Min(size, 8))
            .SelectMany(n => Gen.ArrayOf(Gen.Zip(Key, JsonOfSize(size / 2, depth + 1), (k, v) => (Key: k, Value: v)), n))
            .Select(entries =>
            {
                // Nodes are built here, per sample: a JsonNode can have only one parent.
                var obj = new System.Text.Json.Nodes.JsonObject();
                foreach (var (key, value) in entries)
                {
                    obj.TryAdd(key, value);
                }

                return obj;
            });

    private static string Repeat(string piece, int bytes)
    {
        // Enough pieces to reach the UTF-8 byte count, then trimmed to land exactly on it when the piece allows.
        var pieceBytes = Encoding.UTF8.GetByteCount(piece);
        return new StringBuilder().Insert(0, piece, Math.Max(1, bytes / pieceBytes)).ToString();
    }

    private static byte[] Filled(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
