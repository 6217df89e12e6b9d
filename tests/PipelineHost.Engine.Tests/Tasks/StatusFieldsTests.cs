using System.Text.Json.Nodes;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Tests.Tasks;

/// <summary>The seed-API status fields: where they sit, how errorSummary counts, what remainingCount derives from.</summary>
public sealed class StatusFieldsTests
{
    private static PipelineTask NewTask() => new(
        new TaskIdentity("tk_status01", "pk_status01", "project-1", "source_1", "synthetic", "s.source_1", "local"),
        new JsonObject(),
        TaskOptions.Default,
        1000);

    private static readonly string[] Tail = ["remainingCount", "errorSummary", "outputs", "callback", "updatedAt", "lastHeartbeatAt", "version", "pendingReason", "pending", "budget", "percent", "eta", "etaConfidence", "recentRate"];

    [Fact]
    public void The_seed_fields_close_the_status_in_order_in_a_live_status_and_an_empty_one()
    {
        var live = NewTask().Status();
        var empty = TaskStatusWriter.Empty(4);

        Assert.Equal(Tail, live.Select(p => p.Key).TakeLast(Tail.Length));
        Assert.Equal(Tail, empty.Select(p => p.Key).TakeLast(Tail.Length));
        Assert.Equal("""{"remainingCount":null,"errorSummary":[],"outputs":[],"callback":null}""", Fields(live));
        Assert.Equal(Fields(live), Fields(empty));
        Assert.Equal(live["createdAt"]!.GetValue<string>(), live["updatedAt"]!.GetValue<string>());
    }

    [Fact]
    public void Remaining_count_is_the_sources_total_less_completed_and_failed_and_null_until_the_source_says()
    {
        var task = NewTask();
        var before = task.Status()["remainingCount"];

        task.ApplyCounts(new JsonObject { ["version"] = 1, ["sourceTotal"] = 10, ["completedCount"] = 3, ["failedCount"] = 2 });
        var during = task.Status()["remainingCount"]!.GetValue<long>();
        task.ApplyCounts(new JsonObject { ["version"] = 2, ["sourceTotal"] = 10, ["completedCount"] = 8, ["failedCount"] = 2 });
        var done = task.Status()["remainingCount"]!.GetValue<long>();

        Assert.Null(before);
        Assert.Equal(5, during);
        Assert.Equal(0, done);
    }

    [Fact]
    public void Error_summary_counts_every_error_by_its_reason_most_frequent_first_and_keeps_the_top_ten()
    {
        var task = NewTask();
        for (var i = 0; i < 60; i++)
        {
            task.AddError($"Object \"file-{i}\": timeout", "timeout");
        }

        task.AddError("Object \"x\": parse error", "parse error");
        task.AddError("Source failed: disk", null);
        task.AddError("Object \"y\": parse error", "parse error");
        for (var i = 0; i < 12; i++)
        {
            task.AddError($"rare {i}");
        }

        var status = task.Status();
        var summary = status["errorSummary"]!.AsArray();

        Assert.Equal(50, status["errors"]!.AsArray().Count);
        Assert.Equal(10, summary.Count);
        Assert.Equal("""{"message":"timeout","count":60}""", summary[0]!.ToJsonString());
        Assert.Equal("""{"message":"parse error","count":2}""", summary[1]!.ToJsonString());
        Assert.Equal("""{"message":"Source failed: disk","count":1}""", summary[2]!.ToJsonString());
        Assert.Equal(["rare 0", "rare 1", "rare 2", "rare 3", "rare 4", "rare 5", "rare 6"], summary.Skip(3).Select(e => e!["message"]!.GetValue<string>()));
    }

    [Fact]
    public void The_error_table_is_bounded_and_counts_messages_beyond_it_together()
    {
        var summary = new TaskErrorSummary();
        for (var i = 0; i < TaskErrorSummary.MaxMessages; i++)
        {
            summary.Add($"distinct {i}");
        }

        summary.Add("distinct 0");
        for (var i = 0; i < 5; i++)
        {
            summary.Add($"late {i}");
        }

        summary.Add(new string('x', TaskErrorSummary.MaxMessageLength + 100));
        var top = summary.ToJson();

        Assert.Equal("""{"message":"(other messages)","count":6}""", top[0]!.ToJsonString());
        Assert.Equal("""{"message":"distinct 0","count":2}""", top[1]!.ToJsonString());
    }

    [Fact]
    public void Outputs_keep_first_report_order_update_sizes_and_stop_listing_at_the_bound()
    {
        var outputs = new TaskOutputs();
        outputs.Report(new TaskOutputEntry("b.txt", 1, "text/plain; charset=utf-8"));
        outputs.Report(new TaskOutputEntry("a.json", 2, "application/json"));
        outputs.Report(new TaskOutputEntry("b.txt", 5, "text/plain; charset=utf-8"));
        for (var i = 0; i < TaskOutputs.MaxFiles; i++)
        {
            outputs.Report(new TaskOutputEntry($"f{i}.bin", i, "application/octet-stream"));
        }

        var list = outputs.Snapshot();

        Assert.Equal(TaskOutputs.MaxFiles, list.Count);
        Assert.Equal(new TaskOutputEntry("b.txt", 5, "text/plain; charset=utf-8"), list[0]);
        Assert.Equal(new TaskOutputEntry("a.json", 2, "application/json"), list[1]);
        Assert.Equal("f997.bin", list[^1].Name);
        Assert.Equal(list, TaskOutputEntry.ListFrom(new JsonObject { ["outputs"] = outputs.ToJson() }));
    }

    [Fact]
    public void A_restart_begins_a_new_run_without_the_old_errors_and_outputs_but_keeps_the_callback()
    {
        var task = NewTask();
        task.AddError("boom");
        task.ReportOutputFile(new TaskOutputEntry("a.txt", 1, "text/plain; charset=utf-8"));
        task.SetCallback(CallbackRecord.Create(task.Token, task.StartTime, new Uri("https://example.com/h")));
        task.TryMove(TaskState.Starting, "Starting");
        task.TryMove(TaskState.Initializing, "Loading");
        task.TryMove(TaskState.Running, "Running");
        task.RequestRestart(new JsonObject());

        task.ResetForRestart();
        var status = task.Status();

        Assert.Empty(status["errorSummary"]!.AsArray());
        Assert.Empty(status["outputs"]!.AsArray());
        Assert.Equal("pending", status["callback"]!["state"]!.GetValue<string>());
    }

    private static string Fields(JsonObject status) => new JsonObject
    {
        ["remainingCount"] = status["remainingCount"]?.DeepClone(),
        ["errorSummary"] = status["errorSummary"]?.DeepClone(),
        ["outputs"] = status["outputs"]?.DeepClone(),
        ["callback"] = status["callback"]?.DeepClone(),
    }.ToJsonString();

    [Fact]
    public void Updated_at_starts_at_creation_follows_each_change_never_goes_back_and_is_at_least_the_completion()
    {
        var task = NewTask();
        var created = task.CreatedAt;
        var atStart = task.Status()["updatedAt"]!.GetValue<string>();

        task.Touch(created.AddSeconds(3));
        var touched = task.UpdatedAt;
        task.Touch(created.AddSeconds(1));
        var afterEarlier = task.UpdatedAt;
        task.Finish(TaskState.Completed, "Completed", 0, string.Empty, ExitReason.Completed, created.AddSeconds(9));

        Assert.Equal(TaskOutcome.IsoTime(created), atStart);
        Assert.Equal(created.AddSeconds(3), touched);
        Assert.Equal(touched, afterEarlier);
        Assert.Equal(created.AddSeconds(9), task.UpdatedAt);
        Assert.Null(TaskStatusWriter.Empty(4)["updatedAt"]);
    }
}
