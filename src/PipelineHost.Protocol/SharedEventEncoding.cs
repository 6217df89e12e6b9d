using System.Buffers;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol;

/// <summary>
/// An event body encoded once per codec and reused by every copy of the event: one event on its way to many
/// connections is copied per connection (each copy gets that connection's <c>seq</c>), but its body is the same
/// bytes for all of them. Bound to the body it was made from, so a copy with another body encodes its own.
/// Thread-safe: connections encode concurrently.
/// </summary>
internal sealed class SharedEventEncoding
{
    private Entry? _json;
    private Entry? _messagePack;

    /// <summary>The body's bytes as JSON or (<paramref name="messagePack"/>) MessagePack, encoded by <paramref name="encode"/> on first use.</summary>
    public ReadOnlySpan<byte> Get(JsonObject body, bool messagePack, Action<JsonObject, IBufferWriter<byte>> encode)
    {
        ref var slot = ref messagePack ? ref _messagePack : ref _json;
        var entry = Volatile.Read(ref slot);
        if (entry is null || !ReferenceEquals(entry.Body, body))
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            encode(body, buffer);
            entry = new Entry(body, buffer.WrittenSpan.ToArray());
            Volatile.Write(ref slot, entry); // a race encodes twice, never wrongly: both write the same bytes
        }

        return entry.Bytes;
    }

    /// <summary>Codec selector for <see cref="Get"/>.</summary>
    public const bool Json = false;

    /// <summary>Codec selector for <see cref="Get"/>.</summary>
    public const bool MessagePack = true;

    private sealed record Entry(JsonObject Body, byte[] Bytes);
}
