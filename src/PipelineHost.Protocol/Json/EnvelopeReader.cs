using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Json;

/// <summary>
/// Turns a decoded envelope object into a message and names the offending field when it cannot. Shared by
/// every codec that decodes into a JSON tree, so the validation rules exist once.
/// </summary>
public static class EnvelopeReader
{
    /// <summary>Reads <paramref name="envelope"/>; <paramref name="payload"/> becomes the message's binary data.</summary>
    /// <exception cref="ProtocolFormatException">A required field is missing or has the wrong type.</exception>
    public static ProtocolMessage Read(JsonObject envelope, ReadOnlyMemory<byte>? payload)
    {
        var seq = ReadSeq(envelope);
        var type = ReadString(envelope, EnvelopeNames.Type, seq, required: true)!;
        switch (type)
        {
            case EnvelopeNames.Request:
                var command = ReadString(envelope, EnvelopeNames.Command, seq, required: true)!;
                if (command.Length == 0)
                {
                    throw new ProtocolFormatException("Property 'command' must not be empty.", seq);
                }

                var arguments = ReadObject(envelope, EnvelopeNames.Arguments, seq, command);
                if (payload is not null && arguments is not null)
                {
                    arguments.Remove(EnvelopeNames.Data);
                }

                return new RequestMessage(command)
                {
                    Seq = seq ?? throw new ProtocolFormatException("Missing required property 'seq'.", null, command),
                    Arguments = arguments,
                    Data = payload,
                    RootToken = ReadString(envelope, EnvelopeNames.Token, seq, required: false),
                };

            case EnvelopeNames.Response:
                return new ResponseMessage(
                    ReadLong(envelope, EnvelopeNames.RequestSeq, seq),
                    ReadString(envelope, EnvelopeNames.Command, seq, required: false) ?? string.Empty,
                    ReadBool(envelope, EnvelopeNames.Success, seq))
                {
                    Seq = seq ?? 0,
                    Message = ReadString(envelope, EnvelopeNames.Message, seq, required: false),
                    Body = Detach(envelope, EnvelopeNames.Body),
                    Data = payload,
                };

            case EnvelopeNames.Event:
                var name = ReadString(envelope, EnvelopeNames.EventName, seq, required: true)!;
                return new EventMessage(name, ReadObject(envelope, EnvelopeNames.Body, seq, null) ?? [])
                {
                    Seq = seq ?? 0,
                    Id = ReadString(envelope, EnvelopeNames.Id, seq, required: false),
                };

            default:
                throw new ProtocolFormatException($"Unknown message type '{type}'.", seq);
        }
    }

    /// <summary>
    /// Takes a property's value out of the envelope (a node has one parent), rather than cloning it: the envelope is
    /// dropped anyway, and a clone would copy a whole large body (an object's text in a <c>close</c> answer).
    /// </summary>
    private static JsonNode? Detach(JsonObject envelope, string name)
    {
        if (!envelope.TryGetPropertyValue(name, out var node))
        {
            return null;
        }

        envelope.Remove(name);
        return node;
    }

    private static long? ReadSeq(JsonObject envelope)
    {
        if (!envelope.TryGetPropertyValue(EnvelopeNames.Seq, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long seq))
        {
            return seq;
        }

        throw new ProtocolFormatException("Expected 'seq' to be of type Integer.");
    }

    private static long? ReadLong(JsonObject envelope, string name, long? seq)
    {
        if (!envelope.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long result))
        {
            return result;
        }

        throw new ProtocolFormatException($"Expected '{name}' to be of type Integer.", seq);
    }

    private static bool ReadBool(JsonObject envelope, string name, long? seq)
    {
        var node = envelope[name];
        return node?.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ProtocolFormatException($"Expected '{name}' to be of type Boolean.", seq),
        };
    }

    private static string? ReadString(JsonObject envelope, string name, long? seq, bool required)
    {
        if (!envelope.TryGetPropertyValue(name, out var node) || node is null)
        {
            return required ? throw new ProtocolFormatException($"Missing required property '{name}'.", seq) : null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            throw new ProtocolFormatException($"Expected '{name}' to be of type String.", seq);
        }

        return node.GetValue<string>();
    }

    private static JsonObject? ReadObject(JsonObject envelope, string name, long? seq, string? command)
    {
        if (!envelope.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is not JsonObject obj)
        {
            throw new ProtocolFormatException($"Expected '{name}' to be of type Object.", seq, command);
        }

        envelope.Remove(name);
        return obj;
    }
}
