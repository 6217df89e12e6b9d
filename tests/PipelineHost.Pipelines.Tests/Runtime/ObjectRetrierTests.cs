using PipelineHost.Engine.Tests.Support;
using PipelineHost.Pipelines.Components.Plugins;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.TestComponents;

namespace PipelineHost.Pipelines.Tests.Runtime;

/// <summary>The retry schedule, driven by a manual clock: nothing here waits on wall time.</summary>
public class ObjectRetrierTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Fixed_backoff_retries_after_each_delay_and_nextProcessAt_says_when()
    {
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var retrier = new ObjectRetrier(new RetryPolicy(3, RetryBackoff.Fixed, 500), _ => null, tracker, clock);
        var attempts = new List<int>();

        var run = retrier.RunAsync((n, _) => { attempts.Add(n); return n < 3 ? throw new InvalidOperationException($"boom {n}") : ValueTask.CompletedTask; }, CancellationToken.None);

        var start = clock.GetUtcNow();
        await WaitForPendingAsync(tracker, start.AddMilliseconds(500));
        Assert.Equal(0, tracker.Retried);
        Assert.Equal("boom 1", tracker.LastError);
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(run.IsCompleted);
        Assert.Equal([1], attempts);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForPendingAsync(tracker, start.AddMilliseconds(1000));
        Assert.Equal(1, tracker.Retried);
        Assert.Equal("boom 2", tracker.LastError);

        clock.Advance(TimeSpan.FromMilliseconds(500));
        var outcome = await run.WaitAsync(Guard);

        Assert.Equal(new RetryOutcome(true, 3, null), outcome);
        Assert.Equal([1, 2, 3], attempts);
        Assert.Equal(2, tracker.Retried);
        Assert.Null(tracker.NextProcessAt);
    }

    [Fact]
    public async Task Exponential_backoff_doubles_the_wait_and_gives_up_after_maxRetries_with_the_last_error()
    {
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var retrier = new ObjectRetrier(new RetryPolicy(3, RetryBackoff.Exponential, 100), _ => null, tracker, clock);

        var run = retrier.RunAsync((n, _) => throw new InvalidOperationException($"boom {n}"), CancellationToken.None);

        var due = clock.GetUtcNow();
        foreach (var delay in new[] { 100, 200, 400 })
        {
            due = clock.GetUtcNow().AddMilliseconds(delay);
            await WaitForPendingAsync(tracker, due);
            clock.Advance(TimeSpan.FromMilliseconds(delay));
        }

        var outcome = await run.WaitAsync(Guard);
        var counts = new System.Text.Json.Nodes.JsonObject();
        tracker.WriteTo(counts);

        Assert.Equal(new RetryOutcome(false, 4, "boom 4"), outcome);
        Assert.Equal(3, tracker.Retried);
        Assert.Null(tracker.NextProcessAt);
        Assert.Equal(3, counts["retried"]!.GetValue<long>());
        Assert.Null(counts["nextProcessAt"]);
        Assert.Equal("boom 4", counts["lastError"]!.GetValue<string>());
        Assert.Equal("2025-01-01T00:00:00.700Z", counts["lastErrorAt"]!.GetValue<string>());
        Assert.Equal(0, counts["failedItems"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_components_own_policy_wins_over_the_tasks_for_failures_in_that_component()
    {
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var componentPolicy = new RetryPolicy(2, RetryBackoff.Fixed, 0);
        var retrier = new ObjectRetrier(RetryPolicy.None, id => id == "flaky" ? componentPolicy : null, tracker, clock);

        var flaky = await retrier.RunAsync((n, _) => throw new ComponentFailureException("flaky", new IOException($"flaky {n}")), CancellationToken.None).WaitAsync(Guard);
        var other = await retrier.RunAsync((n, _) => throw new ComponentFailureException("steady", new IOException($"steady {n}")), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(new RetryOutcome(false, 3, "flaky 3"), flaky);
        Assert.Equal(new RetryOutcome(false, 1, "steady 1"), other);
        Assert.Equal(2, tracker.Retried);
        Assert.True(retrier.WillRetry(new ComponentFailureException("flaky", new IOException())));
        Assert.False(retrier.WillRetry(new IOException()));
    }

    [Fact]
    public async Task Without_a_policy_a_failure_is_not_retried_but_is_still_the_last_error()
    {
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var retrier = new ObjectRetrier(null, _ => null, tracker, clock);

        var outcome = await retrier.RunAsync((_, _) => throw new InvalidOperationException("once"), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(new RetryOutcome(false, 1, "once"), outcome);
        Assert.Equal(0, tracker.Retried);
        Assert.Equal("once", tracker.LastError);
    }

    [Fact]
    public async Task An_object_that_cannot_be_replayed_is_not_retried_whatever_the_policy()
    {
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var retrier = new ObjectRetrier(new RetryPolicy(5, RetryBackoff.Fixed, 0), _ => null, tracker, clock);
        var replays = 0;

        var outcome = await retrier.RetryAsync(new InvalidOperationException("too big"), canReplay: false, (_, _) => { replays++; return ValueTask.CompletedTask; }, CancellationToken.None)
            .WaitAsync(Guard);

        Assert.Equal(new RetryOutcome(false, 1, "too big"), outcome);
        Assert.Equal(0, replays);
    }

    [Fact]
    public async Task The_graph_blames_the_component_that_threw_even_deep_in_the_lanes()
    {
        var catalog = PipelineHost.Pipelines.Components.ComponentCatalog.CreateDefault(new ComponentPlugins([new FaultProvider()], []));
        var pipeline = System.Text.Json.Nodes.JsonNode.Parse("""
            {"source":"webhook_1","components":[
              {"id":"webhook_1","provider":"webhook","config":{}},
              {"id":"fault_1","provider":"fault","config":{"action":"throw"},"retry":{"maxRetries":4},"input":[{"lane":"text","from":"webhook_1"}]},
              {"id":"response_1","provider":"response","config":{},"input":[{"lane":"text","from":"fault_1"}]}]}
            """)!.AsObject();
        var definition = new PipelineHost.Pipelines.Validation.PipelineValidator(catalog).Validate(pipeline).Definition!;
        var graph = PipelineGraph.Build(definition, catalog, new PipelineHost.Pipelines.Components.ComponentEnvironment());
        var run = graph.Begin(new PipelineHost.Pipelines.Components.ObjectContext("a.txt", "text/plain", "id"), new NullObserver());

        var failure = await Assert.ThrowsAsync<ComponentFailureException>(() => run.WriteAsync("hello"u8.ToArray(), CancellationToken.None).AsTask());

        Assert.Equal("fault_1", failure.ComponentId);
        Assert.Equal("fault: failing this object on purpose", failure.Message);
        Assert.Equal(4, graph.ComponentRetry("fault_1")!.MaxRetries);
        Assert.Null(graph.ComponentRetry("webhook_1"));
    }

    /// <summary>Waits until a retry is pending for <paramref name="due"/>, i.e. its timer exists and the clock may move.</summary>
    private static async Task WaitForPendingAsync(RetryTracker tracker, DateTimeOffset due)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (tracker.NextProcessAt == due)
            {
                reached.TrySetResult();
            }
        }

        tracker.Changed += Check;
        try
        {
            Check();
            await reached.Task.WaitAsync(Guard);
        }
        finally
        {
            tracker.Changed -= Check;
        }
    }

    private sealed class NullObserver : IRunObserver
    {
        public void Warn(string componentId, string message)
        {
        }

        public void Count(string counter, long amount)
        {
        }

        public void FileWritten(string name, long size, string contentType)
        {
        }
    }
}
