using System.Text.Json.Nodes;
using PipelineHost.Protocol;

namespace PipelineHost.Client.Tests;

/// <summary>The typed models read what RocketRide and PipelineHost send, tolerating other number types and missing fields.</summary>
public class ModelTests
{
    [Fact]
    public void A_task_status_reads_the_servers_progress_estimate_and_its_absence()
    {
        var running = TaskStatus.FromJson(JsonNode.Parse("""{"state":3,"percent":42.5,"eta":"2026-12-03T12:00:10.000Z","etaConfidence":0.8,"recentRate":12}""")!.AsObject());
        var open = TaskStatus.FromJson(JsonNode.Parse("""{"state":3,"percent":null,"eta":null,"etaConfidence":null,"recentRate":3.5}""")!.AsObject());
        var old = TaskStatus.FromJson(JsonNode.Parse("""{"state":3}""")!.AsObject());

        Assert.Equal(new TaskProgress { Percent = 42.5, Eta = new DateTimeOffset(2026, 12, 3, 12, 0, 10, TimeSpan.Zero), EtaConfidence = 0.8, RecentRate = 12 }, running.Progress);
        Assert.Equal(new TaskProgress { RecentRate = 3.5 }, open.Progress);
        Assert.Equal(new TaskProgress(), old.Progress);
    }

    [Fact]
    public void A_task_status_reads_every_field_and_keeps_the_raw_object()
    {
        var raw = JsonNode.Parse("""
            {"name":"echo.webhook_1","project_id":"p-1","source":"webhook_1","completed":true,"state":5,
             "startTime":1700000000.5,"endTime":1700000010.25,"debuggerAttached":false,"status":"Completed",
             "warnings":["w"],"errors":["e1","e2"],"currentObject":"a.txt","currentSize":12,"notes":["n",{"k":"v"}],
             "totalSize":100,"totalCount":5,"completedSize":90,"completedCount":4.0,"failedSize":10,"failedCount":1,
             "wordsSize":80,"wordsCount":16,"rateSize":12345,"rateCount":250,"serviceUp":false,"exitCode":0,
             "exitMessage":"Completed","pipeflow":{"totalPipes":4,"byPipe":{"0":["a"]}},
             "metrics":{"cpu_percent":12.5,"cpu_memory_mb":64,"peak_cpu_percent":50,"avg_cpu_memory_mb":32.5},
             "tokens":{"cpu_utilization":1.5,"custom":{"pagesProcessed":5},"total":6.5},"futureField":1,
             "taskType":"pipeline","statusName":"COMPLETED","exitReason":"completed","createdAt":"2023-11-14T22:13:20.500Z",
             "startedAt":"2023-11-14T22:13:21.000Z","completedAt":"2023-11-14T22:13:30.250Z","updatedAt":"2023-11-14T22:13:30.500Z","queuePosition":0,
             "stats":{"queueDepth":3,"activeWorkers":2.0},
             "config":{"threads":4,"ttl":900,"timeout":60.5,"expires":0,"traceLevel":null}}
            """)!.AsObject();

        var status = TaskStatus.FromJson(raw);

        Assert.Equal(("echo.webhook_1", "p-1", "webhook_1"), (status.Name, status.ProjectId, status.Source));
        Assert.True(status.Completed);
        Assert.Equal(TaskState.Completed, status.State);
        Assert.True(status.State.IsTerminal());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500), status.StartTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_010_250), status.EndTime);
        Assert.Equal(["e1", "e2"], status.Errors);
        Assert.Equal(["w"], status.Warnings);
        Assert.Equal(2, status.Notes.Count);
        Assert.Equal(new TaskCounts
        {
            CurrentObject = "a.txt", CurrentSize = 12, TotalSize = 100, TotalCount = 5, CompletedSize = 90, CompletedCount = 4,
            FailedSize = 10, FailedCount = 1, WordsSize = 80, WordsCount = 16,
        }, status.Counts);
        Assert.Equal(123.45, status.Rates.BytesPerSecond, 6);
        Assert.Equal(2.5, status.Rates.ObjectsPerSecond, 6);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(4, status.Pipeflow.TotalPipes);
        Assert.Equal((12.5, 64, 50, 32.5), (status.Metrics.CpuPercent, status.Metrics.CpuMemoryMb, status.Metrics.PeakCpuPercent, status.Metrics.AvgCpuMemoryMb));
        Assert.Equal(5, status.Tokens.Custom["pagesProcessed"]);
        Assert.Equal(6.5, status.Tokens.Total);
        Assert.Same(raw, status.Raw);
        Assert.Equal(1, status.Raw["futureField"]!.GetValue<int>());
        Assert.Equal(("COMPLETED", "completed", 0, false), (status.StatusName, status.ExitReason, status.QueuePosition, status.Queued));
        Assert.Equal(status.StartTime, status.CreatedAt);
        Assert.Equal(status.EndTime, status.CompletedAt);
        Assert.Equal(status.CompletedAt!.Value.AddMilliseconds(250), status.UpdatedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_001_000), status.StartedAt);
        Assert.Equal(new TaskQueueStats { QueueDepth = 3, ActiveWorkers = 2 }, status.Stats);
        Assert.Equal((4, TimeSpan.FromSeconds(900), TimeSpan.FromSeconds(60.5), TimeSpan.Zero, (string?)null),
            (status.Config!.Threads, status.Config.Ttl, status.Config.Timeout, status.Config.Expires, status.Config.TraceLevel));
    }

    [Fact]
    public void The_seed_api_fields_read_into_their_models()
    {
        var raw = JsonNode.Parse("""
            {"state":6,"remainingCount":7,
             "errorSummary":[{"message":"timeout","count":12},{"message":"parse","count":1}],
             "outputs":[{"name":"a.txt.txt","size":16,"contentType":"text/plain; charset=utf-8"}],
             "callback":{"url":"https://hooks.example.com/done?***","state":"failed","attempts":[
               {"attempt":1,"at":"2025-01-01T00:00:00.000Z","statusCode":500,"error":null,"durationMs":12},
               {"attempt":2,"at":"2025-01-01T00:00:01.500Z","statusCode":null,"error":"Connection refused","durationMs":3}]}}
            """)!.AsObject();

        var status = TaskStatus.FromJson(raw);

        Assert.Equal(7, status.RemainingCount);
        Assert.Equal([new TaskErrorCount("timeout", 12), new TaskErrorCount("parse", 1)], status.ErrorSummary);
        Assert.Equal([new TaskOutputFile("a.txt.txt", 16, "text/plain; charset=utf-8")], status.Outputs);
        Assert.Equal(("https://hooks.example.com/done?***", "failed"), (status.Callback!.Url, status.Callback.State));
        Assert.Equal(
            [
                new TaskCallbackAttempt(1, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), 500, null, TimeSpan.FromMilliseconds(12)),
                new TaskCallbackAttempt(2, new DateTimeOffset(2025, 1, 1, 0, 0, 1, 500, TimeSpan.Zero), null, "Connection refused", TimeSpan.FromMilliseconds(3)),
            ],
            status.Callback.Attempts);
    }

    [Fact]
    public void Without_the_seed_api_fields_remaining_count_and_callback_are_null_and_the_lists_empty()
    {
        var status = TaskStatus.FromJson(new JsonObject { ["state"] = 3, ["remainingCount"] = null, ["callback"] = null });

        Assert.Null(status.RemainingCount);
        Assert.Null(status.Callback);
        Assert.Empty(status.ErrorSummary);
        Assert.Empty(status.Outputs);
    }

    [Fact]
    public void A_placeholder_status_with_missing_fields_reads_as_defaults()
    {
        var status = TaskStatus.FromJson(new JsonObject { ["state"] = 0, ["status"] = "Not running", ["exitCode"] = null });

        Assert.Equal(TaskState.None, status.State);
        Assert.Null(status.StartTime);
        Assert.Null(status.ExitCode);
        Assert.Empty(status.Errors);
        Assert.Equal((string.Empty, null, 0), (status.StatusName, status.ExitReason, status.QueuePosition));
        Assert.Null(status.CreatedAt);
        Assert.Null(status.Config);
        Assert.Equal(0, status.Counts.CompletedCount);
    }

    [Fact]
    public void A_result_joins_its_lane_entries_and_knows_when_a_lane_is_missing()
    {
        var result = PipelineResult.FromJson(JsonNode.Parse("""
            {"name":"n","path":"","objectId":"0b6c…","result_types":{"text":"text","answers":"answers"},
             "text":["a\n\n","b\n\n"],"answers":[{"answer":42}]}
            """)!.AsObject());

        Assert.Equal("a\n\nb\n\n", result.GetText());
        Assert.Equal("""{"answer":42}""", result.GetText("answers"));
        Assert.Null(result.GetText("missing"));
        Assert.Equal("answers", result.ResultTypes["answers"]);
    }

    [Fact]
    public void Events_become_typed_records()
    {
        var status = PipelineEvent.FromMessage(new EventMessage("apaevt_status_update", new JsonObject { ["__id"] = "abcd1234.src", ["state"] = 3 }));
        var begin = PipelineEvent.FromMessage(new EventMessage("apaevt_task", new JsonObject
        {
            ["__id"] = "abcd1234.src", ["action"] = "begin", ["name"] = "n", ["projectId"] = "p", ["source"] = "src",
        }) { Id = "abcd1234.src" });
        var running = PipelineEvent.FromMessage(new EventMessage("apaevt_task", JsonNode.Parse("""
            {"__id":"","action":"running","tasks":[{"id":"a.s","name":"n","projectId":"p","source":"s"}]}
            """)!.AsObject()));
        var output = PipelineEvent.FromMessage(new EventMessage("output", new JsonObject { ["__id"] = "x.s", ["category"] = "console", ["output"] = "hello\n" }));
        var detail = PipelineEvent.FromMessage(new EventMessage("apaevt_status_error", new JsonObject { ["__id"] = "x.s", ["message"] = "boom" }));
        var flow = PipelineEvent.FromMessage(new EventMessage("apaevt_flow", new JsonObject { ["__id"] = "x.s" }));

        Assert.Equal(TaskState.Running, Assert.IsType<StatusUpdateEvent>(status).Status.State);
        Assert.Equal("abcd1234.src", status.TaskId);
        var lifecycle = Assert.IsType<TaskLifecycleEvent>(begin);
        Assert.Equal(("begin", "abcd1234.src", "n", "p", "src"), (lifecycle.Action, lifecycle.Id, lifecycle.TaskName, lifecycle.ProjectId, lifecycle.Source));
        Assert.Equal(new TaskReference("a.s", "n", "p", "s"), Assert.Single(Assert.IsType<TaskLifecycleEvent>(running).Tasks));
        Assert.Equal("hello", Assert.IsType<OutputEvent>(output).Line);
        Assert.Equal("boom", Assert.IsType<DetailEvent>(detail).Message);
        Assert.Equal("apaevt_flow", Assert.IsType<UnknownEvent>(flow).Name);
    }

    [Fact]
    public void A_subscription_gets_only_its_task_and_its_classes_plus_server_wide_events_of_its_classes()
    {
        var mine = new EventSubscription("tk_ffffffffffffffffffffffffffffffff", EventTypes.Summary | EventTypes.Task, "abcd1234.src");
        var every = new EventSubscription("*", EventTypes.Output, null);
        var registry = new MonitorRegistry();
        registry.Add(mine);
        registry.Add(every);

        registry.Route(new EventMessage("apaevt_status_update", new JsonObject { ["__id"] = "abcd1234.src" }));
        registry.Route(new EventMessage("apaevt_status_update", new JsonObject { ["__id"] = "99999999.src" }));
        registry.Route(new EventMessage("apaevt_task", new JsonObject { ["__id"] = "", ["action"] = "running" }));
        registry.Route(new EventMessage("output", new JsonObject { ["__id"] = "99999999.src", ["output"] = "x" }));

        Assert.Equal(EventTypes.Summary | EventTypes.Task, registry.TypesFor(mine.Key));
        Assert.True(mine.Reader.TryRead(out var first) && first.TaskId == "abcd1234.src");
        Assert.True(mine.Reader.TryRead(out var second) && second is TaskLifecycleEvent { Action: "running" });
        Assert.False(mine.Reader.TryRead(out _));
        Assert.True(every.Reader.TryRead(out var line) && line is OutputEvent);
        Assert.False(every.Reader.TryRead(out _));
    }

    [Fact]
    public void Event_type_names_are_the_wire_names()
    {
        Assert.Equal(["SUMMARY", "TASK"], EventTypeNames.Names(EventTypes.Summary | EventTypes.Task));
        Assert.Equal(8, EventTypeNames.Names(EventTypes.All).Count());
        Assert.Equal(EventTypes.Detail, EventTypeNames.ClassOf("apaevt_status_counts"));
    }
}
