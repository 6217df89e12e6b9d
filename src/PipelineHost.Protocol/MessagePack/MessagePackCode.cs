namespace PipelineHost.Protocol.MessagePack;

/// <summary>The format bytes of the MessagePack specification, and the ranges of its fixed formats.</summary>
public static class MessagePackCode
{
    /// <summary>Lowest positive fixint (0x00); positive fixints run to <see cref="MaxFixInt"/>.</summary>
    public const byte MinFixInt = 0x00;
    /// <summary>Highest positive fixint (0x7f).</summary>
    public const byte MaxFixInt = 0x7f;
    /// <summary>fixmap with 0 entries (0x80); up to 15 entries in the low nibble.</summary>
    public const byte MinFixMap = 0x80;
    /// <summary>fixmap with 15 entries (0x8f).</summary>
    public const byte MaxFixMap = 0x8f;
    /// <summary>fixarray with 0 elements (0x90); up to 15 elements in the low nibble.</summary>
    public const byte MinFixArray = 0x90;
    /// <summary>fixarray with 15 elements (0x9f).</summary>
    public const byte MaxFixArray = 0x9f;
    /// <summary>fixstr of 0 bytes (0xa0); up to 31 bytes in the low five bits.</summary>
    public const byte MinFixStr = 0xa0;
    /// <summary>fixstr of 31 bytes (0xbf).</summary>
    public const byte MaxFixStr = 0xbf;
    /// <summary>nil (0xc0).</summary>
    public const byte Nil = 0xc0;
    /// <summary>The byte the specification reserves and never uses (0xc1).</summary>
    public const byte NeverUsed = 0xc1;
    /// <summary>false (0xc2).</summary>
    public const byte False = 0xc2;
    /// <summary>true (0xc3).</summary>
    public const byte True = 0xc3;
    /// <summary>bin 8 (0xc4): 1-byte length.</summary>
    public const byte Bin8 = 0xc4;
    /// <summary>bin 16 (0xc5): 2-byte length.</summary>
    public const byte Bin16 = 0xc5;
    /// <summary>bin 32 (0xc6): 4-byte length.</summary>
    public const byte Bin32 = 0xc6;
    /// <summary>ext 8 (0xc7): 1-byte length, then the type.</summary>
    public const byte Ext8 = 0xc7;
    /// <summary>ext 16 (0xc8): 2-byte length, then the type.</summary>
    public const byte Ext16 = 0xc8;
    /// <summary>ext 32 (0xc9): 4-byte length, then the type.</summary>
    public const byte Ext32 = 0xc9;
    /// <summary>float 32 (0xca).</summary>
    public const byte Float32 = 0xca;
    /// <summary>float 64 (0xcb).</summary>
    public const byte Float64 = 0xcb;
    /// <summary>uint 8 (0xcc).</summary>
    public const byte UInt8 = 0xcc;
    /// <summary>uint 16 (0xcd).</summary>
    public const byte UInt16 = 0xcd;
    /// <summary>uint 32 (0xce).</summary>
    public const byte UInt32 = 0xce;
    /// <summary>uint 64 (0xcf).</summary>
    public const byte UInt64 = 0xcf;
    /// <summary>int 8 (0xd0).</summary>
    public const byte Int8 = 0xd0;
    /// <summary>int 16 (0xd1).</summary>
    public const byte Int16 = 0xd1;
    /// <summary>int 32 (0xd2).</summary>
    public const byte Int32 = 0xd2;
    /// <summary>int 64 (0xd3).</summary>
    public const byte Int64 = 0xd3;
    /// <summary>fixext 1 (0xd4).</summary>
    public const byte FixExt1 = 0xd4;
    /// <summary>fixext 2 (0xd5).</summary>
    public const byte FixExt2 = 0xd5;
    /// <summary>fixext 4 (0xd6).</summary>
    public const byte FixExt4 = 0xd6;
    /// <summary>fixext 8 (0xd7).</summary>
    public const byte FixExt8 = 0xd7;
    /// <summary>fixext 16 (0xd8).</summary>
    public const byte FixExt16 = 0xd8;
    /// <summary>str 8 (0xd9): 1-byte length.</summary>
    public const byte Str8 = 0xd9;
    /// <summary>str 16 (0xda): 2-byte length.</summary>
    public const byte Str16 = 0xda;
    /// <summary>str 32 (0xdb): 4-byte length.</summary>
    public const byte Str32 = 0xdb;
    /// <summary>array 16 (0xdc): 2-byte count.</summary>
    public const byte Array16 = 0xdc;
    /// <summary>array 32 (0xdd): 4-byte count.</summary>
    public const byte Array32 = 0xdd;
    /// <summary>map 16 (0xde): 2-byte count.</summary>
    public const byte Map16 = 0xde;
    /// <summary>map 32 (0xdf): 4-byte count.</summary>
    public const byte Map32 = 0xdf;
    /// <summary>Lowest negative fixint (0xe0, i.e. -32); negative fixints run to 0xff (-1).</summary>
    public const byte MinNegativeFixInt = 0xe0;
    /// <summary>Highest negative fixint (0xff, i.e. -1).</summary>
    public const byte MaxNegativeFixInt = 0xff;

    /// <summary>The value type a format byte starts; throws nothing, <see cref="MessagePackType.Unknown"/> for 0xc1.</summary>
    public static MessagePackType ToType(byte code) => code switch
    {
        <= MaxFixInt => MessagePackType.Integer,
        <= MaxFixMap => MessagePackType.Map,
        <= MaxFixArray => MessagePackType.Array,
        <= MaxFixStr => MessagePackType.String,
        Nil => MessagePackType.Nil,
        NeverUsed => MessagePackType.Unknown,
        False or True => MessagePackType.Boolean,
        Bin8 or Bin16 or Bin32 => MessagePackType.Binary,
        Ext8 or Ext16 or Ext32 => MessagePackType.Extension,
        Float32 or Float64 => MessagePackType.Float,
        >= UInt8 and <= Int64 => MessagePackType.Integer,
        >= FixExt1 and <= FixExt16 => MessagePackType.Extension,
        Str8 or Str16 or Str32 => MessagePackType.String,
        Array16 or Array32 => MessagePackType.Array,
        Map16 or Map32 => MessagePackType.Map,
        _ => MessagePackType.Integer, // negative fixint
    };

    /// <summary>The specification's name of the format a byte starts, e.g. <c>str32</c> or <c>positive fixint</c>; for messages.</summary>
    public static string ToFormatName(byte code) => code switch
    {
        <= MaxFixInt => "positive fixint",
        <= MaxFixMap => "fixmap",
        <= MaxFixArray => "fixarray",
        <= MaxFixStr => "fixstr",
        Nil => "nil",
        NeverUsed => "reserved byte 0xC1",
        False or True => "bool",
        Bin8 => "bin8",
        Bin16 => "bin16",
        Bin32 => "bin32",
        Ext8 => "ext8",
        Ext16 => "ext16",
        Ext32 => "ext32",
        Float32 => "float32",
        Float64 => "float64",
        UInt8 => "uint8",
        UInt16 => "uint16",
        UInt32 => "uint32",
        UInt64 => "uint64",
        Int8 => "int8",
        Int16 => "int16",
        Int32 => "int32",
        Int64 => "int64",
        FixExt1 => "fixext1",
        FixExt2 => "fixext2",
        FixExt4 => "fixext4",
        FixExt8 => "fixext8",
        FixExt16 => "fixext16",
        Str8 => "str8",
        Str16 => "str16",
        Str32 => "str32",
        Array16 => "array16",
        Array32 => "array32",
        Map16 => "map16",
        Map32 => "map32",
        _ => "negative fixint",
    };
}
