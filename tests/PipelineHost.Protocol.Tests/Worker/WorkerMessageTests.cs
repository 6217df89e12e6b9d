using System.Text;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Protocol.Tests.Worker;

/// <summary>Every worker channel message survives the trip through its frame, and a frame that breaks the contract
/// is refused with a reason.</summary>
public class WorkerMessageTests
{
    public static TheoryData<WorkerMessage> Messages() => new(Samples);

    /// <summary>One of each message (tests/vectors/worker-ipc is made from these).</summary>
    internal static readonly IReadOnlyList<WorkerMessage> Samples =
    [
        new StartTask(1, new StartSettings(
            "{\"source\":\"webhook_1\"}"u8.ToArray(),
            "webhook_1",
            4,
            new ComponentSettings(["/data"], ["echo"], "/out", null, 100, 10),
            null,
            "none",
            null,
            "/failed",
            16,
            256,
            null,
            new Dictionary<string, string> { ["PATH"] = "/bin" },
            1000)),
        new WarmUp(2),
        new OpenPipe(3, "{\"name\":\"a.txt\"}"u8.ToArray(), "text/plain", null),
        new WritePipe(4, 0, true, new byte[] { 1, 2, 3 }),
        new ClosePipe(5, 0, "The client disconnected"),
        new StopWorker(6),
        new Done(1),
        new PipeOpened(3, 7),
        new PipeClosed(5, "{\"name\":\"a.txt\"}"u8.ToArray()),
        new RequestFailed(4, "Write pipe with id 0 not found"),
        new ServiceState(true),
        new Counters(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, new RetryFigures(1, null, "boom", "2026-01-01T00:00:00.000Z", 0), 2000),
        new PipeFlow(3, new Dictionary<int, IReadOnlyList<string>> { [0] = ["a.txt", "parse_1"] }),
        new ObjectStarted("a.txt", 12),
        new WorkerWarning("careful"),
        new ObjectError("Object \"a.txt\": boom", "boom"),
        new FileWritten("out.txt", 3, "text/plain"),
        new Usage(new Dictionary<string, double> { ["pages"] = 2 }, new Dictionary<string, double>()),
        new FlowRecord(0, "enter", ["a.txt", "parse_1"], "{\"component\":\"parse_1\"}"u8.ToArray()),
        new SseMessage(0, "progress", null),
        new WorkerLog("hello"),
        new Heartbeat(9),
        new Exiting(0, "Completed"),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_decodes_to_what_was_encoded(WorkerMessage message)
    {
        var decoded = WorkerFrames.Decode(WorkerFrames.Encode(message));

        Assert.Equal(Describe(message), Describe(decoded));
    }

    [Fact]
    public void An_unknown_message_type_is_refused()
    {
        // [99, []]: a union code nobody defined.
        Assert.Throws<WorkerProtocolException>(() => WorkerFrames.Decode(new byte[] { 0x92, 99, 0x90 }));
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_refused()
    {
        // PipeOpened with a string where the pipe id goes.
        var ex = Assert.Throws<WorkerProtocolException>(() => WorkerFrames.Decode(new byte[] { 0x92, 21, 0x92, 1, 0xA1, (byte)'x' }));

        Assert.Contains("an undecodable message", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_after_the_message_are_refused()
    {
        var frame = WorkerFrames.Encode(new Heartbeat(1)).Append((byte)0xC0).ToArray();

        Assert.Throws<WorkerProtocolException>(() => WorkerFrames.Decode(frame));
    }

    [Fact]
    public async Task Frames_written_by_the_writer_are_read_back_in_order()
    {
        using var stream = new MemoryStream();
        using (var writer = new WorkerMessageWriter(stream))
        {
            await writer.WriteAsync(new Heartbeat(1), CancellationToken.None);
            await writer.WriteAsync(new WritePipe(2, 3, false, Encoding.UTF8.GetBytes("chunk")), CancellationToken.None);
        }

        stream.Position = 0;
        var reader = new WorkerMessageReader(stream);

        Assert.Equal(new Heartbeat(1), await reader.ReadAsync(CancellationToken.None));
        var write = Assert.IsType<WritePipe>(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal("chunk", Encoding.UTF8.GetString(write.Data.Span));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public void A_decoded_write_owns_its_bytes_so_the_frame_buffer_can_be_reused()
    {
        var frame = WorkerFrames.Encode(new WritePipe(1, 0, false, new byte[] { 1, 2, 3 }));
        var write = Assert.IsType<WritePipe>(WorkerFrames.Decode(frame));

        Array.Clear(frame);

        Assert.Equal(new byte[] { 1, 2, 3 }, write.Data.ToArray());
    }

    // Records compare arrays and maps by reference: compare what they print, with the bytes spelled out.
    internal static string Describe(WorkerMessage message) =>
        System.Text.Json.JsonSerializer.Serialize(message, message.GetType(), new System.Text.Json.JsonSerializerOptions { Converters = { new MemoryConverter() } });

    private sealed class MemoryConverter : System.Text.Json.Serialization.JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
            throw new NotSupportedException();

        public override void Write(System.Text.Json.Utf8JsonWriter writer, ReadOnlyMemory<byte> value, System.Text.Json.JsonSerializerOptions options) =>
            writer.WriteBase64StringValue(value.Span);
    }
}
