using System.Buffers;
using System.Text.Json.Nodes;
using MessagePack;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// The MessagePack wire encoding, selected by the WebSocket subprotocol <c>pipelinehost.msgpack</c>. A
/// message is one MessagePack map with the same keys as the JSON envelope; every frame is binary.
/// </summary>
/// <remarks>
/// <para>Binary payloads travel as a <c>bin</c> value in the map itself, with no header-and-newline split:
/// a request's at <c>arguments.data</c>, a response's at top-level <c>data</c>. A <c>bin</c> anywhere else
/// becomes a base64 string, as <see cref="MessagePackJson"/> describes.</para>
/// <para>Decoding builds the same JSON envelope the JSON codec parses and hands it to
/// <see cref="EnvelopeReader"/>, so both codecs produce equal messages and identical validation errors.</para>
/// </remarks>
public sealed class MessagePackMessageCodec : IMessageCodec
{
    /// <summary>The WebSocket subprotocol name that selects this codec.</summary>
    public const string SubProtocolName = "pipelinehost.msgpack";

    /// <summary>The shared instance; the codec holds no state.</summary>
    public static readonly MessagePackMessageCodec Instance = new();

    private readonly int _utf8StringsFrom;

    /// <summary>A codec that decodes every str as a .NET string.</summary>
    public MessagePackMessageCodec()
        : this(int.MaxValue)
    {
    }

    /// <summary>
    /// A codec that decodes a str of at least <paramref name="utf8StringsFrom"/> bytes as a <see cref="Utf8String"/>
    /// (a slice of the message's own copy of the frame) instead of a .NET string: for a channel whose large strings
    /// are only passed on (a worker's <c>close</c> answer carrying an object's text), where turning them into UTF-16
    /// and back would cost a fresh buffer of twice their size each way. Readers of such values must expect
    /// <see cref="Utf8String"/> (see <see cref="Utf8String.TryGet"/>).
    /// </summary>
    public MessagePackMessageCodec(int utf8StringsFrom)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(utf8StringsFrom);
        _utf8StringsFrom = utf8StringsFrom;
    }

    // The same limit as the JSON codec's, so a tree one codec accepts the other accepts too.
    private const int MaxDepth = MessagePackJson.DefaultMaxDepth;

    /// <inheritdoc />
    public string? SubProtocol => SubProtocolName;

    /// <inheritdoc />
    public ProtocolMessage Decode(ReadOnlySpan<byte> frame, bool binaryFrame)
    {
        if (!binaryFrame)
        {
            throw new ProtocolFormatException($"The {SubProtocolName} subprotocol carries binary frames only; a text frame arrived.");
        }

        // One copy per frame: the payload must outlive the caller's buffer, and as a slice of this copy it
        // needs no second one.
        var buffer = frame.ToArray();
        var reader = new MessagePackReader(buffer);
        var identity = new Identity();
        JsonObject envelope;
        Payloads payloads;
        try
        {
            if (reader.End)
            {
                throw MessagePackJson.Truncated(reader.Sequence, 0);
            }

            if (MessagePackCode.ToMessagePackType(reader.NextCode) != MessagePackType.Map)
            {
                throw new ProtocolFormatException("A message must be a MessagePack map.");
            }

            envelope = ReadEnvelope(ref reader, ref identity, out payloads, _utf8StringsFrom);
            MessagePackJson.EnsureEnd(ref reader);
        }
        catch (MessagePackFormatException ex)
        {
            throw new ProtocolFormatException(ex.Message, identity.Seq, identity.Command, ex);
        }

        return EnvelopeReader.Read(envelope, payloads.Resolve(envelope));
    }

    /// <inheritdoc />
    /// <returns>Always true: MessagePack frames are binary.</returns>
    public bool Encode(ProtocolMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new MessagePackWriter(output);
        switch (message)
        {
            case RequestMessage request:
                var hasArguments = request.Arguments is not null || request.Data is not null;
                writer.WriteMapHeader(3 + Count(hasArguments) + Count(request.RootToken is not null));
                WriteString(ref writer, EnvelopeNames.Type, EnvelopeNames.Request);
                WriteInt(ref writer, EnvelopeNames.Seq, request.Seq);
                WriteString(ref writer, EnvelopeNames.Command, request.Command);
                if (hasArguments)
                {
                    writer.Write(EnvelopeNames.Arguments);
                    WriteArguments(ref writer, request.Arguments, request.Data);
                }

                if (request.RootToken is not null)
                {
                    WriteString(ref writer, EnvelopeNames.Token, request.RootToken);
                }

                break;

            case ResponseMessage response:
                writer.WriteMapHeader(5 + Count(response.Message is not null) + Count(response.Body is not null) + Count(response.Data is not null));
                WriteString(ref writer, EnvelopeNames.Type, EnvelopeNames.Response);
                WriteInt(ref writer, EnvelopeNames.Seq, response.Seq);
                writer.Write(EnvelopeNames.RequestSeq);
                if (response.RequestSeq is { } requestSeq)
                {
                    writer.Write(requestSeq);
                }
                else
                {
                    writer.WriteNil();
                }

                WriteString(ref writer, EnvelopeNames.Command, response.Command);
                writer.Write(EnvelopeNames.Success);
                writer.Write(response.Success);
                if (response.Message is not null)
                {
                    WriteString(ref writer, EnvelopeNames.Message, response.Message);
                }

                if (response.Body is not null)
                {
                    writer.Write(EnvelopeNames.Body);
                    MessagePackJson.WriteNode(ref writer, response.Body, 1);
                }

                if (response.Data is { } data)
                {
                    writer.Write(EnvelopeNames.Data);
                    writer.Write(data.Span);
                }

                break;

            case EventMessage evt:
                writer.WriteMapHeader(4 + Count(evt.Id is not null));
                WriteString(ref writer, EnvelopeNames.Type, EnvelopeNames.Event);
                WriteInt(ref writer, EnvelopeNames.Seq, evt.Seq);
                WriteString(ref writer, EnvelopeNames.EventName, evt.Event);
                if (evt.Id is not null)
                {
                    WriteString(ref writer, EnvelopeNames.Id, evt.Id);
                }

                writer.Write(EnvelopeNames.Body);
                if (evt.SharedEncoding is { } shared)
                {
                    writer.WriteRaw(shared.Get(evt.Body, SharedEventEncoding.MessagePack, static (body, output) =>
                    {
                        var bodyWriter = new MessagePackWriter(output);
                        MessagePackJson.WriteNode(ref bodyWriter, body, 1);
                        bodyWriter.Flush();
                    }));
                }
                else
                {
                    MessagePackJson.WriteNode(ref writer, evt.Body, 1);
                }

                break;

            default:
                throw new ArgumentException($"Unknown message type {message.GetType().Name}.", nameof(message));
        }

        writer.Flush();
        return true;
    }

    /// <summary>Encodes <paramref name="message"/> into a new array (tests and cold paths).</summary>
    public byte[] EncodeToArray(ProtocolMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Encode(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static JsonObject ReadEnvelope(ref MessagePackReader reader, ref Identity identity, out Payloads payloads, int utf8StringsFrom)
    {
        payloads = default;
        var count = MessagePackJson.ReadMapHeader(ref reader);
        var envelope = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            var (key, keyOffset) = MessagePackJson.ReadKey(ref reader);
            JsonNode? value;
            if (key == EnvelopeNames.Data && IsNext(ref reader, MessagePackType.Binary))
            {
                payloads.Top = ReadPayload(ref reader);
                value = null; // a placeholder until the message type says what the bytes are
            }
            else if (key == EnvelopeNames.Arguments && IsNext(ref reader, MessagePackType.Map))
            {
                value = ReadArguments(ref reader, ref payloads, utf8StringsFrom);
            }
            else
            {
                value = MessagePackJson.ReadNode(ref reader, MaxDepth, 1, utf8StringsFrom);
            }

            if (!envelope.TryAdd(key, value))
            {
                throw new MessagePackFormatException(keyOffset, $"duplicate map key '{key}'.");
            }

            identity.Remember(key, value);
        }

        return envelope;
    }

    private static JsonObject ReadArguments(ref MessagePackReader reader, ref Payloads payloads, int utf8StringsFrom)
    {
        // The envelope is depth 1 and arguments depth 2, as in the JSON codec's count.
        var count = MessagePackJson.ReadMapHeader(ref reader);
        var arguments = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            var (key, keyOffset) = MessagePackJson.ReadKey(ref reader);
            JsonNode? value = null;
            if (key == EnvelopeNames.Data && IsNext(ref reader, MessagePackType.Binary))
            {
                payloads.Arguments = ReadPayload(ref reader);
            }
            else
            {
                value = MessagePackJson.ReadNode(ref reader, MaxDepth, 2, utf8StringsFrom);
            }

            if (!arguments.TryAdd(key, value))
            {
                throw new MessagePackFormatException(keyOffset, $"duplicate map key '{key}'.");
            }
        }

        return arguments;
    }

    private static bool IsNext(ref MessagePackReader reader, MessagePackType type) =>
        !reader.End && MessagePackCode.ToMessagePackType(reader.NextCode) == type;

    // The reader runs over one array, so the bin is a single segment of it.
    private static ReadOnlyMemory<byte> ReadPayload(ref MessagePackReader reader)
    {
        var start = reader.Consumed;
        try
        {
            return reader.ReadBytes()!.Value.First;
        }
        catch (Exception ex) when (MessagePackJson.IsShortInput(ex))
        {
            throw MessagePackJson.Truncated(reader.Sequence, start);
        }
    }

    private static void WriteArguments(ref MessagePackWriter writer, JsonObject? arguments, ReadOnlyMemory<byte>? data)
    {
        // With a payload, the payload is arguments.data; a JSON "data" the caller left in the arguments would
        // be a duplicate key, and the JSON codec drops it on the receiving side anyway.
        var skipData = data is not null && arguments is not null && arguments.ContainsKey(EnvelopeNames.Data);
        var count = (arguments?.Count ?? 0) - Count(skipData) + Count(data is not null);
        writer.WriteMapHeader(count);
        if (arguments is not null)
        {
            foreach (var (key, value) in arguments)
            {
                if (skipData && key == EnvelopeNames.Data)
                {
                    continue;
                }

                MessagePackJson.WriteString(ref writer, key);
                MessagePackJson.WriteNode(ref writer, value, 2);
            }
        }

        if (data is { } bytes)
        {
            writer.Write(EnvelopeNames.Data);
            writer.Write(bytes.Span);
        }
    }

    private static void WriteString(ref MessagePackWriter writer, string key, string value)
    {
        writer.Write(key);
        MessagePackJson.WriteString(ref writer, value);
    }

    private static void WriteInt(ref MessagePackWriter writer, string key, long value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static int Count(bool present) => present ? 1 : 0;

    /// <summary>What a broken message revealed before the damage, so the receiver can still answer it.</summary>
    private struct Identity
    {
        public long? Seq;
        public string? Command;

        public void Remember(string key, JsonNode? value)
        {
            if (value is not JsonValue scalar)
            {
                return;
            }

            if (key == EnvelopeNames.Seq && scalar.TryGetValue(out long seq))
            {
                Seq = seq;
            }
            else if (key == EnvelopeNames.Command && scalar.TryGetValue(out string? command))
            {
                Command = command;
            }
        }
    }

    /// <summary>The bin values found at the two payload locations, before the message type is known.</summary>
    private struct Payloads
    {
        public ReadOnlyMemory<byte>? Top;
        public ReadOnlyMemory<byte>? Arguments;

        /// <summary>
        /// Picks the payload the message type defines (a request's <c>arguments.data</c>, a response's
        /// <c>data</c>) and turns a bin in the other place into base64, as anywhere else in the tree.
        /// </summary>
        public readonly ReadOnlyMemory<byte>? Resolve(JsonObject envelope)
        {
            var type = envelope[EnvelopeNames.Type] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
            ReadOnlyMemory<byte>? payload = null;
            if (Top is { } top)
            {
                if (type == EnvelopeNames.Response)
                {
                    payload = top;
                    envelope.Remove(EnvelopeNames.Data);
                }
                else
                {
                    envelope[EnvelopeNames.Data] = Convert.ToBase64String(top.Span);
                }
            }

            if (Arguments is { } arguments)
            {
                if (type == EnvelopeNames.Request)
                {
                    payload = arguments; // EnvelopeReader removes the arguments.data placeholder
                }
                else
                {
                    envelope[EnvelopeNames.Arguments]![EnvelopeNames.Data] = Convert.ToBase64String(arguments.Span);
                }
            }

            return payload;
        }
    }
}
