using System.Buffers;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Framing;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Protocol.Tests.Framing;

public class LengthPrefixedFramingTests
{
    [Fact]
    public async Task Messages_written_are_read_back_in_order_with_increasing_seq()
    {
        var stream = new MemoryStream();
        using var writer = new LengthPrefixedMessageWriter(stream, JsonMessageCodec.Instance);
        await writer.WriteAsync(new RequestMessage("open") { Arguments = new JsonObject { ["pipe"] = 1 } }, CancellationToken.None);
        await writer.WriteAsync(new RequestMessage("write") { Arguments = [], Data = new byte[] { 10, 0, 10 } }, CancellationToken.None);
        stream.Position = 0;

        var buffer = new ArrayBufferWriter<byte>();
        var first = await LengthPrefixedFraming.ReadAsync(stream, buffer, 1024, CancellationToken.None);
        var open = (RequestMessage)JsonMessageCodec.Instance.Decode(first!.Value.Payload.Span, first.Value.Binary);
        var second = await LengthPrefixedFraming.ReadAsync(stream, buffer, 1024, CancellationToken.None);
        var write = (RequestMessage)JsonMessageCodec.Instance.Decode(second!.Value.Payload.Span, second.Value.Binary);
        var end = await LengthPrefixedFraming.ReadAsync(stream, buffer, 1024, CancellationToken.None);

        Assert.Equal((1L, "open"), (open.Seq, open.Command));
        Assert.Equal(2, write.Seq);
        Assert.Equal(new byte[] { 10, 0, 10 }, write.Data!.Value.ToArray());
        Assert.Null(end);
    }

    [Fact]
    public async Task A_length_above_the_maximum_is_refused_before_reading_it()
    {
        var stream = new MemoryStream([0x7F, 0xFF, 0xFF, 0xFF, 0]);

        await Assert.ThrowsAsync<InvalidDataException>(() =>
            LengthPrefixedFraming.ReadAsync(stream, new ArrayBufferWriter<byte>(), 1 << 20, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_stream_that_ends_inside_a_frame_is_an_error()
    {
        var stream = new MemoryStream([0, 0, 0, 10, 0, 1, 2]);

        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            LengthPrefixedFraming.ReadAsync(stream, new ArrayBufferWriter<byte>(), 1024, CancellationToken.None).AsTask());
    }
}
