namespace PipelineHost.Protocol.MessagePack;

/// <summary>The kind of the next MessagePack value, as told by its format byte.</summary>
public enum MessagePackType
{
    /// <summary>The reserved byte 0xC1, which starts no value.</summary>
    Unknown = 0,
    /// <summary>nil.</summary>
    Nil,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>Any integer format: positive or negative fixint, uint8..64, int8..64.</summary>
    Integer,
    /// <summary>float32 or float64.</summary>
    Float,
    /// <summary>fixstr, str8, str16 or str32.</summary>
    String,
    /// <summary>bin8, bin16 or bin32.</summary>
    Binary,
    /// <summary>fixarray, array16 or array32.</summary>
    Array,
    /// <summary>fixmap, map16 or map32.</summary>
    Map,
    /// <summary>fixext1..16 or ext8/16/32, including timestamps.</summary>
    Extension,
}
