using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Tasks;

/// <summary>Issue 20's progress: percent, eta, etaConfidence and recentRate from the recent completion rate, on a manual clock.</summary>
public sealed class TaskProgressTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_steady_rate_gives_the_exact_eta_with_full_confidence()
    {
        var progress = new TaskProgress();
        for (var second = 0; second <= 10; second++)
        {
            progress.Observe(second * 4, Start.AddSeconds(second)); // 4 objects a second
        }

        var estimate = progress.Estimate(40, 100, ended: false, Start.AddSeconds(10));

        Assert.Equal(40, estimate.Percent);
        Assert.Equal(4, estimate.RecentRate);
        Assert.Equal(Start.AddSeconds(25), estimate.Eta); // 60 left at 4/s
        Assert.Equal(1, estimate.EtaConfidence);
    }

    [Fact]
    public void The_rate_follows_recent_changes_and_an_unsteady_rate_lowers_the_confidence()
    {
        var progress = new TaskProgress();
        var done = 0;
        progress.Observe(done, Start);
        for (var second = 1; second <= 30; second++)
        {
            done += second % 2 == 0 ? 1 : 9; // 5/s on average, in bursts
            progress.Observe(done, Start.AddSeconds(second));
        }

        var bursty = progress.Estimate(done, 1000, ended: false, Start.AddSeconds(30));
        for (var second = 31; second <= 90; second++)
        {
            done += 20;
            progress.Observe(done, Start.AddSeconds(second));
        }

        var faster = progress.Estimate(done, 10_000, ended: false, Start.AddSeconds(90));

        Assert.InRange(bursty.RecentRate!.Value, 3, 7);
        Assert.InRange(bursty.EtaConfidence!.Value, 0, 0.5);
        Assert.InRange(faster.RecentRate!.Value, 19, 20); // a minute at 20/s: the bursts are forgotten
        Assert.True(faster.EtaConfidence > bursty.EtaConfidence);
    }

    [Fact]
    public void A_stall_lowers_the_rate_and_pushes_the_eta_back()
    {
        var progress = new TaskProgress();
        for (var second = 0; second <= 10; second++)
        {
            progress.Observe(second * 10, Start.AddSeconds(second));
        }

        var moving = progress.Estimate(100, 200, ended: false, Start.AddSeconds(10));
        var stalled = progress.Estimate(100, 200, ended: false, Start.AddSeconds(40));

        Assert.True(stalled.RecentRate < moving.RecentRate / 10);
        Assert.True(stalled.Eta > moving.Eta);
    }

    [Fact]
    public void An_open_ended_source_gets_the_rate_only_and_an_ended_task_neither_rate_nor_eta()
    {
        var progress = new TaskProgress();
        progress.Observe(0, Start);
        progress.Observe(5, Start.AddSeconds(1));

        var open = progress.Estimate(5, null, ended: false, Start.AddSeconds(1));
        var ended = progress.Estimate(5, 5, ended: true, Start.AddSeconds(2));
        var fresh = new TaskProgress().Estimate(0, 10, ended: false, Start);

        Assert.Equal(new ProgressEstimate(null, null, null, 5), open);
        Assert.Equal(new ProgressEstimate(100, null, null, null), ended);
        Assert.Equal(new ProgressEstimate(0, null, null, null), fresh);
    }

    [Fact]
    public void The_status_shows_progress_against_the_sources_total_else_the_expected_count()
    {
        var time = new ManualTimeProvider(Start);
        var identity = new TaskIdentity("tk_progress", "pk_progress", "project-1", "webhook_1", "webhook", "p.webhook_1", "local");
        var expected = new PipelineTask(identity, new JsonObject(), TaskOptions.Default with { ExpectedCount = 50 }, 1000) { Clock = time };
        var sourced = new PipelineTask(identity, new JsonObject(), TaskOptions.Default with { ExpectedCount = 50 }, 1000) { Clock = time };
        for (var second = 0; second <= 5; second++)
        {
            expected.ApplyCounts(new JsonObject { ["version"] = second + 1, ["completedCount"] = second * 4, ["failedCount"] = second });
            sourced.ApplyCounts(new JsonObject { ["version"] = second + 1, ["completedCount"] = second * 5, ["sourceTotal"] = 100 });
            if (second < 5)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        var status = expected.Status();
        var other = sourced.Status();

        Assert.Equal(50, status["percent"]!.GetValue<double>()); // 25 of 50
        Assert.Equal(5, status["recentRate"]!.GetValue<double>());
        Assert.Equal("2026-12-03T12:00:10.000Z", status["eta"]!.GetValue<string>()); // 25 left at 5/s
        Assert.Equal(1, status["etaConfidence"]!.GetValue<double>());
        Assert.Equal(25, other["percent"]!.GetValue<double>()); // the source's 100 wins over expectedCount
    }
}
