using System.Text.Json.Nodes;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Storage;

namespace PipelineHost.Engine.Tests.Tasks;

/// <summary>The fields PipelineHost adds after <c>taskType</c>: present, in order, and consistent for stored tasks.</summary>
public class TaskStatusFieldsTests
{
    /// <summary>Every field PipelineHost adds after the reference's last one, <c>provider</c>, in wire order.</summary>
    private static readonly string[] Added = ["taskType", "statusName", "exitReason", "createdAt", "startedAt", "completedAt", "queuePosition", "stats", "retried", "maxRetry", "nextProcessAt", "lastError", "lastErrorAt", "failedItems", "nbItems", "nbRemainingItems", "retryOf", "remainingCount", "errorSummary", "outputs", "callback", "updatedAt", "lastHeartbeatAt", "version", "pendingReason", "pending", "budget", "percent", "eta", "etaConfidence", "recentRate"];
    private static readonly DateTimeOffset Created = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static PipelineTask NewTask(TaskOptions? options = null)
    {
        var identity = new TaskIdentity("tk_fields", "pk_fields", "proj-1", "webhook_1", "webhook", "echo.webhook_1", "local");
        var pipeline = new JsonObject { ["project_id"] = "proj-1", ["source"] = "webhook_1", ["components"] = new JsonArray() };
        return new PipelineTask(identity, pipeline, options ?? TaskOptions.Default, Created.ToUnixTimeMilliseconds() / 1000.0);
    }

    private static IEnumerable<string> AfterProvider(JsonObject status)
    {
        var keys = status.Select(p => p.Key).ToList();
        return keys.Skip(keys.IndexOf("provider") + 1);
    }

    [Fact]
    public void Empty_and_live_statuses_end_with_the_added_fields_in_order()
    {
        var empty = TaskStatusWriter.Empty(4);
        var live = NewTask().Status();

        Assert.Equal(Added, AfterProvider(empty));
        Assert.Equal(Added, AfterProvider(live));
        Assert.Equal(("PENDING", 0), (empty["statusName"]!.GetValue<string>(), empty["queuePosition"]!.GetValue<int>()));
        Assert.Null(empty["exitReason"]);
        Assert.Null(empty["createdAt"]);
        Assert.Equal("2026-11-23T12:00:00.000Z", live["createdAt"]!.GetValue<string>());
        Assert.Null(live["startedAt"]);
        Assert.Equal(["queueDepth", "activeWorkers"], live["stats"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Config_is_added_last_only_when_asked_for()
    {
        var task = NewTask(new TaskOptions(8, TimeSpan.FromSeconds(60), "metadata") { Timeout = TimeSpan.FromSeconds(90), Expires = TimeSpan.FromSeconds(2.5) });

        var plain = task.Status();
        var configured = task.Status(includeConfig: true);

        Assert.False(plain.ContainsKey("config"));
        Assert.Equal([.. Added, "config"], AfterProvider(configured));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"threads":8,"ttl":60,"timeout":90,"expires":2.5,"traceLevel":"metadata","retry":null}"""),
            configured["config"]));
    }

    [Fact]
    public void A_finished_task_has_its_exit_reason_status_name_and_times()
    {
        var task = NewTask();
        Assert.True(task.MarkStarted(Created.AddSeconds(2)));
        task.TryMove(TaskState.Starting, "Starting");
        task.TryMove(TaskState.Stopping, "Stopping");
        task.Finish(TaskState.Cancelled, "Stopped", 0, "Stopped: ran for more than 5 s (timeout)", ExitReason.Timeout, Created.AddSeconds(7.5));

        var status = task.Status();

        Assert.Equal(("TIMEOUT", "timeout"), (status["statusName"]!.GetValue<string>(), status["exitReason"]!.GetValue<string>()));
        Assert.Equal(("2026-11-23T12:00:02.000Z", "2026-11-23T12:00:07.500Z"), (status["startedAt"]!.GetValue<string>(), status["completedAt"]!.GetValue<string>()));
        Assert.Equal(Created.AddSeconds(7.5).ToUnixTimeMilliseconds() / 1000.0, status["endTime"]!.GetValue<double>());
        Assert.True(task.LeftQueueOrEnded.IsCompleted);
    }

    [Fact]
    public void A_final_status_text_is_never_overwritten()
    {
        var task = NewTask();
        task.Finish(TaskState.Cancelled, "Expired", 0, "Expired", ExitReason.Expired, Created.AddSeconds(30));

        task.SetStatusText("Stopping");

        Assert.Equal("Expired", task.Status()["status"]!.GetValue<string>());
        Assert.False(task.MarkStarted(Created.AddSeconds(31)));
    }

    [Fact]
    public void A_task_the_store_marked_interrupted_reads_as_failed_with_its_end_time()
    {
        var task = NewTask(new TaskOptions(2, TimeSpan.Zero, null) { Timeout = TimeSpan.FromSeconds(30) });
        task.MarkStarted(Created.AddSeconds(1));
        var running = TaskRecord.FromTask(task, startedAt: null);
        var interrupted = running with
        {
            State = TaskState.Cancelled,
            EndedAt = Created.AddSeconds(60).ToUnixTimeMilliseconds() / 1000.0,
            StatusText = TaskRecord.InterruptedStatusText,
            ExitMessage = "The host stopped unexpectedly",
        };

        var stored = running.ToStatus();
        var status = interrupted.ToStatus();
        var withConfig = interrupted.ToStatus(includeConfig: true);

        Assert.Null(stored["exitReason"]);
        Assert.Equal("PENDING", stored["statusName"]!.GetValue<string>());
        Assert.False(stored.ContainsKey("config"));
        Assert.Equal(("failed", "FAILED"), (status["exitReason"]!.GetValue<string>(), status["statusName"]!.GetValue<string>()));
        Assert.Equal("2026-11-23T12:01:00.000Z", status["completedAt"]!.GetValue<string>());
        Assert.Equal(("2026-11-23T12:00:00.000Z", "2026-11-23T12:00:01.000Z"), (status["createdAt"]!.GetValue<string>(), status["startedAt"]!.GetValue<string>()));
        Assert.Equal(30.0, withConfig["config"]!["timeout"]!.GetValue<double>());
    }

    [Fact]
    public void A_stored_status_from_before_these_fields_gets_them_from_the_record()
    {
        var record = TaskStoreSpecification.Record("tk_old", createdAt: Created.ToUnixTimeMilliseconds() / 1000.0, state: TaskState.Completed) with
        {
            EndedAt = Created.AddSeconds(10).ToUnixTimeMilliseconds() / 1000.0,
            StartedAt = Created.AddSeconds(1).ToUnixTimeMilliseconds() / 1000.0,
            Status = new JsonObject { ["state"] = 3 },
        };

        var status = record.ToStatus();

        Assert.Equal(("completed", "COMPLETED"), (status["exitReason"]!.GetValue<string>(), status["statusName"]!.GetValue<string>()));
        Assert.Equal("2026-11-23T12:00:01.000Z", status["startedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-23T12:00:10.000Z", status["completedAt"]!.GetValue<string>());
    }

    [Fact]
    public void Pending_reason_says_why_a_task_is_not_running_and_is_null_once_it_runs_or_ends()
    {
        var task = NewTask();
        task.MarkStarted(Created.AddSeconds(1));
        task.TryMove(TaskState.Starting, "Starting");
        var starting = task.Status();
        task.TryMove(TaskState.Initializing, "Loading");
        task.TryMove(TaskState.Running, "Running");
        var running = task.Status();
        task.ApplyCounts(new JsonObject { ["version"] = 1, ["nextProcessAt"] = "2026-11-23T12:00:09.000Z" });
        var backingOff = task.Status();
        task.ApplyPipeflow(new JsonObject { ["version"] = 1, ["byPipe"] = new JsonObject { ["0"] = new JsonArray("a.txt", "webhook_1") } });
        var busy = task.Status();
        task.Finish(TaskState.Cancelled, "Stopped", 0, "Stopped", ExitReason.Cancelled, Created.AddSeconds(10));

        Assert.Equal("waiting_for_worker", starting["pendingReason"]!.GetValue<string>());
        Assert.Equal("2026-11-23T12:00:01.000Z", starting["pending"]!["since"]!.GetValue<string>());
        Assert.Null(running["pendingReason"]);
        Assert.Null(running["pending"]);
        Assert.Equal("retry_backoff", backingOff["pendingReason"]!.GetValue<string>());
        Assert.Equal("2026-11-23T12:00:09.000Z", backingOff["pending"]!["nextAttemptAt"]!.GetValue<string>());
        Assert.Null(busy["pendingReason"]);
        Assert.Null(task.Status()["pendingReason"]);
    }

    [Fact]
    public void The_launch_rate_estimates_a_queued_start_from_the_recent_launches()
    {
        var clock = new PipelineHost.Engine.Tests.Support.ManualTimeProvider(Created);
        var rate = new LaunchRate(clock);
        rate.Record(Created);
        var fromOne = rate.EstimateStart(1);
        clock.Advance(TimeSpan.FromSeconds(10));
        rate.Record(clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(10));

        // Two launches in the last 20 s: one every 20 s, so the third in the queue starts in about a minute.
        Assert.Null(fromOne);
        Assert.Equal(Created.AddSeconds(20 + 60), rate.EstimateStart(3));
    }
}
