using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Storage;

/// <summary>The recorder turns the engine's synchronous events into ordered store writes.</summary>
public sealed class TaskHistoryRecorderTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-store-tests", Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_750_000_000));
    private SqliteTaskStore _store = null!;
    private TaskHistoryRecorder _recorder = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteTaskStore(Path.Combine(_directory, SqliteTaskStore.FileName));
        _recorder = new TaskHistoryRecorder(_store, _time, NullLogger<TaskHistoryRecorder>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _recorder.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private PipelineTask NewTask(string token)
    {
        var identity = new TaskIdentity(token, "pk_" + token, "proj-1", "webhook_1", "webhook", "echo.webhook_1", "local");
        var pipeline = new JsonObject { ["project_id"] = "proj-1", ["source"] = "webhook_1", ["components"] = new JsonArray() };
        return new PipelineTask(identity, pipeline, TaskOptions.Default, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
    }

    private void Move(PipelineTask task, TaskState state)
    {
        Assert.True(task.TryMove(state, state.ToString()));
        _recorder.OnTaskEvent(new TaskStatusChanged(task, true));
    }

    private void End(PipelineTask task, string message)
    {
        Move(task, TaskState.Stopping);
        task.Finish(TaskState.Cancelled, "Stopped", 0, message, ExitReason.Cancelled, _time.GetUtcNow());
        _recorder.OnTaskEvent(new TaskStatusChanged(task, true));
        _recorder.OnTaskEvent(new TaskLifecycle(task, "end"));
    }

    [Fact]
    public async Task Every_state_change_is_logged_in_order_and_the_final_status_is_kept()
    {
        var task = NewTask("tk_recorded");
        var created = _time.GetUtcNow().ToUnixTimeSeconds();

        _recorder.OnTaskEvent(new TaskLifecycle(task, "begin"));
        Move(task, TaskState.Starting);
        Move(task, TaskState.Initializing);
        _time.Advance(TimeSpan.FromSeconds(2));
        Move(task, TaskState.Running);
        _recorder.OnTaskEvent(new TaskStatusChanged(task, false));
        _recorder.OnTaskEvent(new TaskOutput(task, "a line"));
        task.AddError("something failed");
        _time.Advance(TimeSpan.FromSeconds(3));
        End(task, "Stopped by the test");
        await _recorder.FlushAsync();

        var transitions = await _store.ListTransitionsAsync("tk_recorded", CancellationToken.None);
        var record = await _store.FindTaskAsync("tk_recorded", CancellationToken.None);

        Assert.Equal([TaskState.None, TaskState.Starting, TaskState.Initializing, TaskState.Running, TaskState.Stopping, TaskState.Cancelled], transitions.Select(t => t.State));
        Assert.Equal([created, created, created, created + 2, created + 5, created + 5], transitions.Select(t => t.At));
        Assert.NotNull(record);
        Assert.Equal((TaskState.Cancelled, created, created + 2, created + 5), (record.State, record.CreatedAt, record.StartedAt, record.EndedAt));
        Assert.Equal(("Stopped", 0, "Stopped by the test"), (record.StatusText, record.ExitCode, record.ExitMessage));
        Assert.Equal("something failed", record.Status!["errors"]![0]!.GetValue<string>());
        Assert.True(record.Status["completed"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(task.Pipeline, record.Pipeline));
    }

    [Fact]
    public async Task Disposing_waits_for_a_running_task_to_report_its_end_so_nothing_is_lost()
    {
        var task = NewTask("tk_shutdown");
        _recorder.OnTaskEvent(new TaskLifecycle(task, "begin"));
        Move(task, TaskState.Starting);
        Move(task, TaskState.Initializing);
        Move(task, TaskState.Running);

        // As at host shutdown: the recorder is disposed while the task's last events are still on their way.
        var disposing = _recorder.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        End(task, "The host stopped");
        await disposing.WaitAsync(TimeSpan.FromSeconds(30));

        await using var reopened = new SqliteTaskStore(_store.Path);
        var record = await reopened.FindTaskAsync("tk_shutdown", CancellationToken.None);
        Assert.Equal((TaskState.Cancelled, "The host stopped"), (record!.State, record.ExitMessage));
        await _recorder.FlushAsync(); // after disposal: returns at once
    }

    [Fact]
    public async Task A_token_run_again_starts_a_fresh_record_and_log()
    {
        var first = NewTask("tk_twice");
        _recorder.OnTaskEvent(new TaskLifecycle(first, "begin"));
        Move(first, TaskState.Starting);
        End(first, "first");
        _time.Advance(TimeSpan.FromSeconds(10));
        var second = NewTask("tk_twice");
        _recorder.OnTaskEvent(new TaskLifecycle(second, "begin"));
        Move(second, TaskState.Starting);
        await _recorder.FlushAsync();

        var record = await _store.FindTaskAsync("tk_twice", CancellationToken.None);
        var transitions = await _store.ListTransitionsAsync("tk_twice", CancellationToken.None);

        Assert.Equal(TaskState.Starting, record!.State);
        Assert.Equal(second.StartTime, record.CreatedAt);
        Assert.Equal([TaskState.None, TaskState.Starting], transitions.Select(t => t.State));
    }
}
