using Microsoft.Extensions.Time.Testing;

namespace PipelineHost.Worker.Tests;

/// <summary>The worker's counters: rates over the task's own time, the source's known total from the start.</summary>
public sealed class TaskCountersTests
{
    [Fact]
    public void Rates_count_from_the_task_start_not_from_when_a_pool_worker_was_created()
    {
        var time = new FakeTimeProvider();
        var counters = new TaskCounters(time);
        time.Advance(TimeSpan.FromMinutes(5)); // the pool worker waits idle for its task

        counters.StartClock();
        for (var i = 0; i < 10; i++)
        {
            counters.Completed(100);
        }

        time.Advance(TimeSpan.FromSeconds(2));
        var counts = counters.TakeIfChanged()!;

        Assert.Equal(500, counts.RateCount); // 10 objects / 2 s, x100
        Assert.Equal(50_000, counts.RateSize);
    }

    [Fact]
    public void Total_count_is_the_source_known_total_from_the_first_snapshot()
    {
        var counters = new TaskCounters(new FakeTimeProvider());
        counters.SetSourceTotal(2000);
        counters.Opened(10);

        var first = counters.TakeIfChanged()!;

        Assert.Equal(2000, first.TotalCount);
    }

    [Fact]
    public void Without_a_known_total_the_total_is_what_was_opened()
    {
        var counters = new TaskCounters(new FakeTimeProvider());
        counters.Opened(10);
        counters.Opened(10);

        Assert.Equal(2, counters.TakeIfChanged()!.TotalCount);
    }
}
