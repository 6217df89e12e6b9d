using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>Message equality by content: the records themselves compare JSON nodes and memory by reference.</summary>
internal static class MessageAssert
{
    public static void Equal(ProtocolMessage expected, ProtocolMessage actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Seq, actual.Seq);
        switch (expected)
        {
            case RequestMessage e:
                var a = (RequestMessage)actual;
                Assert.Equal(e.Command, a.Command);
                Assert.Equal(e.RootToken, a.RootToken);
                JsonEqual(e.Arguments, a.Arguments);
                DataEqual(e.Data, a.Data);
                break;
            case ResponseMessage e:
                var r = (ResponseMessage)actual;
                Assert.Equal(e.RequestSeq, r.RequestSeq);
                Assert.Equal(e.Command, r.Command);
                Assert.Equal(e.Success, r.Success);
                Assert.Equal(e.Message, r.Message);
                JsonEqual(e.Body, r.Body);
                DataEqual(e.Data, r.Data);
                break;
            case EventMessage e:
                var v = (EventMessage)actual;
                Assert.Equal(e.Event, v.Event);
                Assert.Equal(e.Id, v.Id);
                JsonEqual(e.Body, v.Body);
                break;
        }
    }

    public static void JsonEqual(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"JSON differs.\nExpected: {expected?.ToJsonString() ?? "null"}\nActual:   {actual?.ToJsonString() ?? "null"}");
        }
    }

    private static void DataEqual(ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte>? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e && actual is { } a)
        {
            Assert.Equal(Convert.ToHexString(e.Span), Convert.ToHexString(a.Span));
        }
    }
}
