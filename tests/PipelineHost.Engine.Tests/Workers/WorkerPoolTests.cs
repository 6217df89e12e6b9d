using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Engine.Workers;

namespace PipelineHost.Engine.Tests.Workers;

/// <summary>The pool's refill policy; pools of real workers are tested end to end in the server tests.</summary>
public class WorkerPoolTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public void Backoff_is_none_for_the_first_failure_then_doubles_from_one_second_up_to_a_minute()
    {
        Assert.Equal(
            [0, 0, 1, 2, 4, 8, 16, 32, 60, 60],
            Enumerable.Range(0, 10).Select(f => WorkerPool.Backoff(f).TotalSeconds));
        Assert.Equal(WorkerPool.MaxBackoff, WorkerPool.Backoff(int.MaxValue));
    }

    [Theory]
    [InlineData("/bin/false")]                          // starts, then exits before warming up
    [InlineData("/nonexistent/PipelineHost.Worker")]    // cannot start at all
    public async Task A_broken_worker_binary_is_retried_with_backoff_not_in_a_loop(string workerPath)
    {
        var time = new ManualTimeProvider();
        var pool = new WorkerPool(1, new WorkerLaunchOptions { WorkerPath = workerPath }, TimeSpan.FromMinutes(1), time, NullLogger.Instance);
        await using (pool)
        {
            pool.Start();

            // First failure: replaced at once; second: the loop now waits one second on the clock.
            await WaitUntil(() => pool.Failures == 2 && time.ActiveTimerCount == 1, () => $"failures {pool.Failures}, attempts {pool.Attempts}, timers {time.ActiveTimerCount}");
            var afterTwo = pool.Attempts;
            time.Advance(TimeSpan.FromMilliseconds(999));
            var beforeTheSecondIsUp = pool.Attempts;
            time.Advance(TimeSpan.FromMilliseconds(1));
            await WaitUntil(() => pool.Failures == 3 && time.ActiveTimerCount == 1);
            time.Advance(TimeSpan.FromMilliseconds(1999));
            var beforeTwoSecondsAreUp = pool.Attempts;

            Assert.Equal(2, afterTwo);
            Assert.Equal(2, beforeTheSecondIsUp);
            Assert.Equal(3, beforeTwoSecondsAreUp);
            Assert.Equal(0, pool.IdleCount);
        }
    }

    [Fact]
    public async Task A_disposed_pool_starts_nothing_more_and_hands_out_nothing()
    {
        var time = new ManualTimeProvider();
        var pool = new WorkerPool(1, new WorkerLaunchOptions { WorkerPath = "/bin/false" }, TimeSpan.FromMinutes(1), time, NullLogger.Instance);
        pool.Start();
        await WaitUntil(() => pool.Failures == 2 && time.ActiveTimerCount == 1);

        await pool.DisposeAsync();
        var attempts = pool.Attempts;
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(attempts, pool.Attempts);
        Assert.Equal(0, time.ActiveTimerCount);
        Assert.Null(pool.TryTake(_ => { }, _ => { }));
    }

    [Fact]
    public void Workers_get_the_hosts_environment_without_the_hidden_variables()
    {
        var hidden = "PIPELINEHOST_POOLTEST_HIDDEN_" + Guid.NewGuid().ToString("N");
        var shown = "PIPELINEHOST_POOLTEST_SHOWN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(hidden, "secret");
        Environment.SetEnvironmentVariable(shown, "visible");
        try
        {
            var variables = new WorkerLaunchOptions { HiddenVariables = [hidden] }.WorkerEnvironment();

            Assert.False(variables.ContainsKey(hidden));
            Assert.Equal("visible", variables[shown]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(hidden, null);
            Environment.SetEnvironmentVariable(shown, null);
        }
    }

    private static async Task WaitUntil(Func<bool> condition, Func<string>? state = null)
    {
        var guard = Stopwatch.StartNew();
        while (!condition())
        {
            if (guard.Elapsed > HangGuard)
            {
                Assert.Fail("Hang guard: condition not met. " + state?.Invoke());
            }

            await Task.Delay(20);
        }
    }
}
