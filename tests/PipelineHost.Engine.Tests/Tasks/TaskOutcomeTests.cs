using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Tests.Tasks;

/// <summary>statusName, exitReason, ISO times and the timeout/expires rule: each decided in one place.</summary>
public class TaskOutcomeTests
{
    [Theory]
    [InlineData(TaskState.None, null, "PENDING")]
    [InlineData(TaskState.Starting, null, "IN_PROGRESS")]
    [InlineData(TaskState.Initializing, null, "IN_PROGRESS")]
    [InlineData(TaskState.Running, null, "IN_PROGRESS")]
    [InlineData(TaskState.Stopping, null, "IN_PROGRESS")]
    [InlineData(TaskState.Completed, ExitReason.Completed, "COMPLETED")]
    [InlineData(TaskState.Cancelled, ExitReason.Cancelled, "CANCELED")]
    [InlineData(TaskState.Cancelled, ExitReason.Failed, "FAILED")]
    [InlineData(TaskState.Cancelled, ExitReason.Timeout, "TIMEOUT")]
    [InlineData(TaskState.Cancelled, ExitReason.Expired, "EXPIRED")]
    [InlineData(TaskState.Cancelled, ExitReason.Unresponsive, "FAILED")]
    [InlineData(TaskState.Cancelled, ExitReason.Budget, "BUDGET_EXCEEDED")]
    [InlineData(TaskState.Cancelled, null, "CANCELED")]
    public void Status_name_follows_the_state_and_the_exit_reason(TaskState state, ExitReason? reason, string expected) =>
        Assert.Equal(expected, TaskOutcome.StatusName(state, reason));

    [Fact]
    public void Exit_reasons_have_lowercase_wire_words_that_read_back()
    {
        var words = Enum.GetValues<ExitReason>().Select(r => r.ToWire()).ToArray();

        Assert.Equal(["completed", "failed", "cancelled", "timeout", "expired", "lost", "unresponsive", "budget"], words);
        Assert.Equal(Enum.GetValues<ExitReason>(), words.Select(w => TaskOutcome.ParseExitReason(w)!.Value));
        Assert.Null(TaskOutcome.ParseExitReason("CANCELLED"));
    }

    [Fact]
    public void Iso_times_are_utc_with_milliseconds()
    {
        var at = new DateTimeOffset(2026, 11, 23, 13, 0, 0, 5, TimeSpan.FromHours(1)).AddTicks(9999);

        Assert.Equal("2026-11-23T12:00:00.005Z", TaskOutcome.IsoTime(at));
        Assert.Equal("2026-11-23T12:00:00.250Z", TaskOutcome.IsoTime(1_795_435_200.25));
        Assert.Null(TaskOutcome.IsoTime((DateTimeOffset?)null));
        Assert.Null(TaskOutcome.IsoTime(0.0));
    }

    [Theory]
    [InlineData("5", 5.0)]
    [InlineData("0.25", 0.25)]
    [InlineData("0", null)]
    [InlineData("null", null)]
    [InlineData("2592000", 2592000.0)]
    public void Limits_are_seconds_and_zero_means_none(string json, double? seconds)
    {
        var limit = TaskLimits.FromJson(JsonNode.Parse(json), "Argument 'timeout'");

        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, limit);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("\"10\"")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("2592001")]
    public void A_negative_huge_or_non_number_limit_is_refused_by_name(string json)
    {
        var ex = Assert.Throws<TaskException>(() => TaskLimits.FromJson(JsonNode.Parse(json), "Pipeline field 'expires'"));

        Assert.Equal("Pipeline field 'expires' must be a number of seconds from 0 to 2592000 (0 = no limit).", ex.Message);
    }

    [Fact]
    public void Query_text_and_time_spans_follow_the_same_rule()
    {
        Assert.Equal(TimeSpan.FromSeconds(1.5), TaskLimits.FromText("1.5", "Argument 'expires'"));
        Assert.Null(TaskLimits.FromText("", "Argument 'expires'"));
        Assert.Throws<TaskException>(() => TaskLimits.FromText("soon", "Argument 'expires'"));
        Assert.Throws<TaskException>(() => TaskLimits.FromText("NaN", "Argument 'expires'"));
        Assert.Null(TaskLimits.Check(TimeSpan.Zero, "Argument 'timeout'"));
        Assert.Throws<TaskException>(() => TaskLimits.Check(TimeSpan.FromSeconds(-1), "Argument 'timeout'"));
    }
}
