namespace PipelineHost.Engine.Tests.Support;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Clock_moves_only_when_advanced()
    {
        var start = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var time = new ManualTimeProvider(start);
        var t0 = time.GetTimestamp();

        time.Advance(TimeSpan.FromMilliseconds(1500));

        Assert.Equal(start.AddMilliseconds(1500), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromMilliseconds(1500), time.GetElapsedTime(t0));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), time.Elapsed);
    }

    [Fact]
    public void Periodic_timer_fires_once_per_period_with_the_clock_at_its_due_time()
    {
        var time = new ManualTimeProvider();
        var seen = new List<TimeSpan>();
        using var timer = time.CreateTimer(_ => seen.Add(time.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(seen);
        time.Advance(TimeSpan.FromMilliseconds(2500));

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)], seen);
        Assert.Equal(TimeSpan.FromMilliseconds(3499), time.Elapsed);
    }

    [Fact]
    public void Timers_fire_in_due_order_and_one_shots_fire_once()
    {
        var time = new ManualTimeProvider();
        var seen = new List<string>();
        using var late = time.CreateTimer(_ => seen.Add("late"), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => seen.Add("early"), null, TimeSpan.FromSeconds(1), TimeSpan.Zero);

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["early", "late"], seen);
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public void Change_and_dispose_reschedule_and_stop_timers()
    {
        var time = new ManualTimeProvider();
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, count);

        Assert.True(timer.Change(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        time.Advance(TimeSpan.Zero);
        Assert.Equal(1, count);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(3, count);

        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, count);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public void A_callback_may_dispose_its_own_timer()
    {
        var time = new ManualTimeProvider();
        var count = 0;
        ITimer? timer = null;
        timer = time.CreateTimer(_ => { count++; timer!.Dispose(); }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, count);
    }

    [Fact]
    public async Task Delay_and_cancel_after_use_the_manual_clock()
    {
        var time = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromSeconds(30), time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);

        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(cts.IsCancellationRequested);
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(20));

        await delay.WaitAsync(TimeSpan.FromSeconds(10)); // hang guard
    }
}
