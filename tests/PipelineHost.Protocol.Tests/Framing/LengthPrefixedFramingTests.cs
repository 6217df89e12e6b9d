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

        var reader = new LengthPrefixedFrameReader(stream, 1024);
        var first = await reader.ReadAsync(CancellationToken.None);
        var open = (RequestMessage)JsonMessageCodec.Instance.Decode(first!.Value.Payload.Span, first.Value.Binary);
        var second = await reader.ReadAsync(CancellationToken.None);
        var write = (RequestMessage)JsonMessageCodec.Instance.Decode(second!.Value.Payload.Span, second.Value.Binary);
        var end = await reader.ReadAsync(CancellationToken.None);

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
            new LengthPrefixedFrameReader(stream, 1 << 20).ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_stream_that_ends_inside_a_frame_is_an_error()
    {
        var stream = new MemoryStream([0, 0, 0, 10, 0, 1, 2]);

        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            new LengthPrefixedFrameReader(stream, 1024).ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Frames_split_across_reads_and_frames_sharing_a_read_come_out_whole_and_in_order()
    {
        var wire = new MemoryStream();
        using (var writer = new LengthPrefixedMessageWriter(wire, JsonMessageCodec.Instance))
        {
            // Small frames share a read; the large one outgrows the reader's first buffer and spans many reads.
            for (var i = 0; i < 50; i++)
                await writer.WriteAsync(new RequestMessage("write") { Arguments = [], Data = Bytes(i, i == 25 ? 300_000 : 10 + i) }, CancellationToken.None);
        }

        var reader = new LengthPrefixedFrameReader(new TrickleStream(wire.ToArray(), 7_000), 1 << 20);
        for (var i = 0; i < 50; i++)
        {
            var frame = await reader.ReadAsync(CancellationToken.None);
            var message = (RequestMessage)JsonMessageCodec.Instance.Decode(frame!.Value.Payload.Span, frame.Value.Binary);
            Assert.Equal(i + 1, message.Seq);
            Assert.Equal(Bytes(i, i == 25 ? 300_000 : 10 + i), message.Data!.Value.ToArray());
        }

        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    private static byte[] Bytes(int seed, int length) => Enumerable.Range(0, length).Select(b => (byte)(b * 31 + seed)).ToArray();

    /// <summary>Hands out at most <c>chunk</c> bytes per read, like a pipe under load.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
