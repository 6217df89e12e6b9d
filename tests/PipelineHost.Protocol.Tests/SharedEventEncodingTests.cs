using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Protocol.Tests;

/// <summary>An event sent to many connections is encoded once, and every copy still says what it should.</summary>
public class SharedEventEncodingTests
{
    public static TheoryData<IMessageCodec> Codecs => new() { JsonMessageCodec.Instance, MessagePackMessageCodec.Instance };

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Copies_with_their_own_seq_encode_as_the_unshared_event_would(IMessageCodec codec)
    {
        var body = new JsonObject { ["state"] = 3, ["name"] = "a \"quoted\" name", ["list"] = new JsonArray(1, "two", null), ["__id"] = "t1" };
        var shared = new EventMessage("apaevt_status_update", body) { Id = "t1" }.WithSharedEncoding();

        foreach (var seq in new long[] { 1, 2, 99 })
        {
            var plain = Encode(codec, new EventMessage("apaevt_status_update", (JsonObject)body.DeepClone()) { Id = "t1", Seq = seq });
            Assert.Equal(plain, Encode(codec, shared with { Seq = seq }));
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void A_copy_with_another_body_is_not_given_the_first_bodys_bytes(IMessageCodec codec)
    {
        var shared = new EventMessage("e", new JsonObject { ["n"] = 1 }).WithSharedEncoding();
        _ = Encode(codec, shared with { Seq = 1 });

        var other = (EventMessage)codec.Decode(Encode(codec, shared with { Seq = 2, Body = new JsonObject { ["n"] = 2 } }), codec.SubProtocol is not null);

        Assert.Equal(2, other.Body["n"]!.GetValue<int>());
    }

    private static byte[] Encode(IMessageCodec codec, ProtocolMessage message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        codec.Encode(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
