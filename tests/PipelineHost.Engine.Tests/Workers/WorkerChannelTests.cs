using System.IO.Pipelines;
using PipelineHost.Engine.Workers;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Tests.Workers;

/// <summary>The host's end of the worker channel against a fake worker: correlation and what breaks the contract.</summary>
public sealed class WorkerChannelTests : IAsyncDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly Pipe _toWorker = new();
    private readonly Pipe _fromWorker = new();
    private readonly List<WorkerEvent> _events = [];
    private readonly WorkerChannel _channel;
    private readonly WorkerMessageReader _workerReads;
    private readonly WorkerMessageWriter _workerWrites;
    private readonly Task<string?> _reading;

    public WorkerChannelTests()
    {
        _channel = new WorkerChannel(_toWorker.Writer.AsStream(), _fromWorker.Reader.AsStream(), e => { lock (_events) _events.Add(e); }, TimeProvider.System);
        _workerReads = new WorkerMessageReader(_toWorker.Reader.AsStream());
        _workerWrites = new WorkerMessageWriter(_fromWorker.Writer.AsStream());
        _reading = _channel.ReadAllAsync();
    }

    [Fact]
    public async Task A_reply_finds_its_request_by_seq_and_events_go_to_the_owner()
    {
        var opening = _channel.OpenAsync("{}"u8.ToArray(), "text/plain", null, CancellationToken.None);
        var open = Assert.IsType<OpenPipe>(await _workerReads.ReadAsync(CancellationToken.None));

        await _workerWrites.WriteAsync(new WorkerWarning("careful"), CancellationToken.None);
        await _workerWrites.WriteAsync(new PipeOpened(open.Seq, 3), CancellationToken.None);

        Assert.Equal(3, await opening.WaitAsync(HangGuard));
        lock (_events)
        {
            Assert.Equal([new WorkerWarning("careful")], _events);
        }

        Assert.Null(_channel.Violation);
    }

    [Fact]
    public async Task A_failed_reply_is_the_workers_message()
    {
        var warming = _channel.RequestAsync<Done>(seq => new WarmUp(seq), CancellationToken.None);
        var warm = Assert.IsType<WarmUp>(await _workerReads.ReadAsync(CancellationToken.None));

        await _workerWrites.WriteAsync(new RequestFailed(warm.Seq, "no"), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<WorkerRequestFailedException>(() => warming.WaitAsync(HangGuard));
        Assert.Equal("no", ex.Message);
    }

    [Fact]
    public async Task A_reply_nobody_waits_for_breaks_the_contract_and_ends_the_reading()
    {
        await _workerWrites.WriteAsync(new Done(41), CancellationToken.None);

        var line = await _reading.WaitAsync(HangGuard);

        Assert.Equal("a Done for request 41, which is not waiting for an answer", _channel.Violation);
        Assert.Contains(_channel.Violation!, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_of_the_wrong_kind_fails_the_request_as_a_gone_worker_and_breaks_the_contract()
    {
        var violations = new List<string>();
        _channel.Violated += violations.Add;
        var opening = _channel.OpenAsync("{}"u8.ToArray(), null, null, CancellationToken.None);
        var open = Assert.IsType<OpenPipe>(await _workerReads.ReadAsync(CancellationToken.None));

        await _workerWrites.WriteAsync(new Done(open.Seq), CancellationToken.None);

        await Assert.ThrowsAsync<WorkerGoneException>(() => opening.WaitAsync(HangGuard));
        Assert.Equal(["a Done answering request 1, where a PipeOpened or RequestFailed belongs"], violations);
    }

    [Fact]
    public async Task An_undecodable_frame_breaks_the_contract()
    {
        await _fromWorker.Writer.WriteAsync(new byte[] { 0, 0, 0, 1, 1, 0xC1 });

        await _reading.WaitAsync(HangGuard);

        Assert.StartsWith("an undecodable message", _channel.Violation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_fourth_write_of_a_pipe_asks_for_an_answer_and_an_earlier_failure_surfaces_at_a_later_write()
    {
        var opening = _channel.OpenAsync("{}"u8.ToArray(), null, null, CancellationToken.None);
        var open = Assert.IsType<OpenPipe>(await _workerReads.ReadAsync(CancellationToken.None));
        await _workerWrites.WriteAsync(new PipeOpened(open.Seq, 0), CancellationToken.None);
        var pipe = await opening.WaitAsync(HangGuard);

        var answers = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            await _channel.WriteAsync(pipe, new byte[] { (byte)i }, CancellationToken.None).WaitAsync(HangGuard);
            answers.Add(Assert.IsType<WritePipe>(await _workerReads.ReadAsync(CancellationToken.None)).Answer);
        }

        await _workerWrites.WriteAsync(new RequestFailed(5, "Write pipe with id 0 has failed: boom"), CancellationToken.None);
        var later = await Assert.ThrowsAsync<WorkerRequestFailedException>(async () =>
        {
            // Noted at the first write after the answer arrived; at the latest at the 17th, which waits for it
            // (four answered writes, the 4th, 8th, 12th and 16th, may be outstanding).
            for (var i = 5; i <= 17; i++)
            {
                await _channel.WriteAsync(pipe, new byte[] { 9 }, CancellationToken.None).WaitAsync(HangGuard);
                _ = await _workerReads.ReadAsync(CancellationToken.None);
            }
        });

        Assert.Equal([false, false, false, true], answers);
        Assert.Equal("Write pipe with id 0 has failed: boom", later.Message);
    }

    public async ValueTask DisposeAsync()
    {
        await _fromWorker.Writer.CompleteAsync();
        await _reading.WaitAsync(HangGuard);
        _channel.Gone();
        _channel.Dispose();
        _workerWrites.Dispose();
    }
}
