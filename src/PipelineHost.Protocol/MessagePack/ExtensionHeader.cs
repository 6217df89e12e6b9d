namespace PipelineHost.Protocol.MessagePack;

/// <summary>The header of a MessagePack extension value: its application-defined type and data length.</summary>
/// <param name="Type">The extension type; negative types are reserved by the specification (-1 is the timestamp).</param>
/// <param name="Length">The number of data bytes that follow the header.</param>
public readonly record struct ExtensionHeader(sbyte Type, uint Length);
