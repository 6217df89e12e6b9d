using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Json;

/// <summary>
/// The RocketRide wire encoding: a text frame is one compact JSON object; a binary frame is a JSON header,
/// one <c>0x0A</c> byte, then the raw payload, which surfaces as <c>arguments.data</c>.
/// </summary>
public sealed class JsonMessageCodec : IMessageCodec
{
    /// <summary>The shared instance; the codec holds no state.</summary>
    public static readonly JsonMessageCodec Instance = new();

    private const byte NewLine = (byte)'\n';
    private const int MaxDepth = 64;

    // Strings longer than this are written in segments of this many chars (see WriteNode).
    private const int StringSegmentSize = 16 * 1024;

    // Compact and never a raw newline: the TypeScript SDK splits every incoming frame at its first 0x0A.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };


    /// <inheritdoc />
    public string? SubProtocol => null;

    /// <inheritdoc />
    public ProtocolMessage Decode(ReadOnlySpan<byte> frame, bool binaryFrame)
    {
        var header = frame;
        ReadOnlyMemory<byte>? payload = null;
        if (binaryFrame)
        {
            var split = frame.IndexOf(NewLine);
            if (split >= 0)
            {
                header = frame[..split];
                payload = frame[(split + 1)..].ToArray();
            }
        }

        JsonObject envelope;
        try
        {
            var node = StrictJson.Parse(header, MaxDepth);
            envelope = node as JsonObject
                ?? throw new ProtocolFormatException("A message must be a JSON object.");
        }
        catch (JsonException ex)
        {
            var (seq, command) = RecoverIdentity(header);
            throw new ProtocolFormatException($"Malformed JSON: {ex.Message}", seq, command, ex);
        }

        return EnvelopeReader.Read(envelope, payload);
    }

    /// <inheritdoc />
    public bool Encode(ProtocolMessage message, IBufferWriter<byte> output)
    {
        ReadOnlyMemory<byte>? data;
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            data = WriteEnvelope(writer, message);
        }

        if (data is not { } payload)
        {
            return false;
        }

        output.GetSpan(1)[0] = NewLine;
        output.Advance(1);
        output.Write(payload.Span);
        return true;
    }

    /// <summary>Encodes <paramref name="message"/> into a new array (tests and cold paths).</summary>
    public byte[] EncodeToArray(ProtocolMessage message, out bool binary)
    {
        var buffer = new ArrayBufferWriter<byte>();
        binary = Encode(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static ReadOnlyMemory<byte>? WriteEnvelope(Utf8JsonWriter writer, ProtocolMessage message)
    {
        writer.WriteStartObject();
        ReadOnlyMemory<byte>? data = null;
        switch (message)
        {
            case RequestMessage request:
                writer.WriteString(EnvelopeNames.Type, EnvelopeNames.Request);
                writer.WriteNumber(EnvelopeNames.Seq, request.Seq);
                writer.WriteString(EnvelopeNames.Command, request.Command);
                if (request.Arguments is not null)
                {
                    writer.WritePropertyName(EnvelopeNames.Arguments);
                    request.Arguments.WriteTo(writer);
                }
                else if (request.Data is not null)
                {
                    // The receiver injects data into arguments; give it an object to inject into.
                    writer.WritePropertyName(EnvelopeNames.Arguments);
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }

                if (request.RootToken is not null)
                {
                    writer.WriteString(EnvelopeNames.Token, request.RootToken);
                }

                data = request.Data;
                break;

            case ResponseMessage response:
                writer.WriteString(EnvelopeNames.Type, EnvelopeNames.Response);
                writer.WriteNumber(EnvelopeNames.Seq, response.Seq);
                if (response.RequestSeq is { } requestSeq)
                {
                    writer.WriteNumber(EnvelopeNames.RequestSeq, requestSeq);
                }
                else
                {
                    writer.WriteNull(EnvelopeNames.RequestSeq);
                }

                writer.WriteString(EnvelopeNames.Command, response.Command);
                writer.WriteBoolean(EnvelopeNames.Success, response.Success);
                if (response.Message is not null)
                {
                    writer.WriteString(EnvelopeNames.Message, response.Message);
                }

                if (response.Body is not null)
                {
                    writer.WritePropertyName(EnvelopeNames.Body);
                    WriteNode(writer, response.Body);
                }

                data = response.Data;
                break;

            case EventMessage evt:
                writer.WriteString(EnvelopeNames.Type, EnvelopeNames.Event);
                writer.WriteNumber(EnvelopeNames.Seq, evt.Seq);
                writer.WriteString(EnvelopeNames.EventName, evt.Event);
                if (evt.Id is not null)
                {
                    writer.WriteString(EnvelopeNames.Id, evt.Id);
                }

                writer.WritePropertyName(EnvelopeNames.Body);
                if (evt.SharedEncoding is { } shared)
                {
                    writer.WriteRawValue(shared.Get(evt.Body, SharedEventEncoding.Json, EncodeBody), skipInputValidation: true);
                }
                else
                {
                    evt.Body.WriteTo(writer);
                }

                break;

            default:
                throw new ArgumentException($"Unknown message type {message.GetType().Name}.", nameof(message));
        }

        writer.WriteEndObject();
        return data;
    }

    /// <summary>
    /// Writes <paramref name="node"/> as <see cref="JsonNode.WriteTo"/> does, except that a long string goes out in
    /// segments. Written whole, the writer escapes a string into a scratch buffer of six chars per char (48 MB for the
    /// 4 MiB text a <c>close</c> returns) and then asks the output for three bytes per escaped char: memory that is
    /// fresh on every large answer, and on a shared machine its page faults cost more than the escaping itself.
    /// </summary>
    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj)
                {
                    writer.WritePropertyName(name);
                    WriteNode(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteNode(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValue value when value.TryGetValue(out string? text) && text.Length > StringSegmentSize:
                var chars = text.AsSpan();
                while (chars.Length > StringSegmentSize)
                {
                    // Never end a segment between the halves of a surrogate pair.
                    var take = char.IsHighSurrogate(chars[StringSegmentSize - 1]) ? StringSegmentSize - 1 : StringSegmentSize;
                    writer.WriteStringValueSegment(chars[..take], isFinalSegment: false);
                    chars = chars[take..];
                }

                writer.WriteStringValueSegment(chars, isFinalSegment: true);
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    private static void EncodeBody(JsonObject body, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        body.WriteTo(writer);
    }

    /// <summary>
    /// Reads tokens up to the first syntax error so that a broken request whose <c>seq</c> came before the
    /// damage can still be answered.
    /// </summary>
    private static (long? Seq, string? Command) RecoverIdentity(ReadOnlySpan<byte> header)
    {
        long? seq = null;
        string? command = null;
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                var isSeq = reader.ValueTextEquals(EnvelopeNames.Seq);
                var isCommand = reader.ValueTextEquals(EnvelopeNames.Command);
                if (!reader.Read())
                {
                    break;
                }

                if (isSeq && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
                {
                    seq = value;
                }
                else if (isCommand && reader.TokenType == JsonTokenType.String)
                {
                    command = reader.GetString();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Expected: we read until the damage (a syntax error, or a string that cannot be decoded).
        }

        return (seq, command);
    }
}
