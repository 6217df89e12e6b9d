using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Tasks;

/// <summary>The concurrency limit and FIFO queue behind MaxConcurrentTasks, on a manual clock.</summary>
public sealed class AdmissionQueueTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly List<string> _admitted = [];
    private readonly List<string> _expired = [];
    private readonly List<string> _moved = [];
    private readonly AdmissionQueue<string> _queue;

    public AdmissionQueueTests() => _queue = NewQueue(2);

    private AdmissionQueue<string> NewQueue(int limit) =>
        new(limit, _time, _admitted.Add, _expired.Add, _moved.Add);

    public void Dispose() => _queue.Dispose();

    private int[] Positions(params string[] items) => items.Select(_queue.PositionOf).ToArray();

    [Fact]
    public void Items_beyond_the_limit_wait_first_in_first_out_and_take_slots_as_they_free()
    {
        var entered = new[] { "a", "b", "c", "d" }.Select(i => _queue.Enter(i, null)).ToArray();
        var waiting = Positions("a", "b", "c", "d");
        var full = _queue.Stats;

        _queue.Release("a");
        var afterFirst = Positions("c", "d");
        _queue.Release("b");

        Assert.Equal([true, true, false, false], entered);
        Assert.Equal([0, 0, 1, 2], waiting);
        Assert.Equal(new QueueStats(2, 2), full);
        Assert.Equal([0, 1], afterFirst);
        Assert.Equal(["c", "d"], _admitted);
        Assert.Equal(["d"], _moved);
        Assert.Equal(new QueueStats(0, 2), _queue.Stats);
        Assert.Empty(_expired);
    }

    [Fact]
    public void A_newcomer_never_overtakes_waiting_items_and_a_second_release_is_harmless()
    {
        using var queue = NewQueue(1);
        queue.Enter("a", null);
        queue.Enter("b", null);

        queue.Release("a");
        queue.Release("a");
        var late = queue.Enter("c", null);

        Assert.Equal(["b"], _admitted);
        Assert.False(late);
        Assert.Equal(1, queue.PositionOf("c"));
        Assert.Equal(new QueueStats(1, 1), queue.Stats);
    }

    [Fact]
    public void A_withdrawn_item_leaves_the_queue_and_those_behind_move_up_but_active_items_cannot_be_withdrawn()
    {
        foreach (var item in new[] { "a", "b", "c", "d", "e" })
        {
            _queue.Enter(item, null);
        }

        var active = _queue.TryWithdraw("a");
        var middle = _queue.TryWithdraw("d");
        var again = _queue.TryWithdraw("d");

        Assert.False(active);
        Assert.True(middle);
        Assert.False(again);
        Assert.Equal([1, 0, 2], Positions("c", "d", "e"));
        Assert.Equal(["e"], _moved);
        Assert.Empty(_admitted);
        Assert.Equal(new QueueStats(2, 2), _queue.Stats);
    }

    [Fact]
    public void A_waiting_item_expires_at_its_due_time_and_is_never_admitted()
    {
        _queue.Enter("a", null);
        _queue.Enter("b", null);
        _queue.Enter("c", TimeSpan.FromSeconds(10));
        _queue.Enter("d", null);

        _time.Advance(TimeSpan.FromSeconds(9.9));
        var before = _expired.ToList();
        _time.Advance(TimeSpan.FromSeconds(0.1));
        _queue.Release("a");

        Assert.Empty(before);
        Assert.Equal(["c"], _expired);
        Assert.Equal(["d"], _admitted);
        Assert.Equal(0, _queue.PositionOf("c"));
        Assert.Equal(0, _time.ActiveTimerCount);
    }

    [Fact]
    public void An_item_admitted_before_its_expiry_does_not_expire()
    {
        _queue.Enter("a", null);
        _queue.Enter("b", null);
        _queue.Enter("c", TimeSpan.FromSeconds(10));

        _queue.Release("a");
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(["c"], _admitted);
        Assert.Empty(_expired);
        Assert.Equal(0, _time.ActiveTimerCount);
    }

    [Fact]
    public void Zero_or_no_expiry_waits_forever()
    {
        _queue.Enter("a", null);
        _queue.Enter("b", null);
        _queue.Enter("c", TimeSpan.Zero);
        _queue.Enter("d", null);

        _time.Advance(TimeSpan.FromDays(365));

        Assert.Empty(_expired);
        Assert.Equal([1, 2], Positions("c", "d"));
    }

    [Fact]
    public void After_close_a_freed_slot_starts_nothing_and_waiting_items_can_still_be_withdrawn()
    {
        _queue.Enter("a", null);
        _queue.Enter("b", null);
        _queue.Enter("c", null);

        _queue.Close();
        _queue.Release("a");
        var withdrawn = _queue.TryWithdraw("c");

        Assert.Empty(_admitted);
        Assert.True(withdrawn);
        Assert.Equal(new QueueStats(0, 1), _queue.Stats);
    }

    [Fact]
    public void Callbacks_may_call_back_into_the_queue()
    {
        AdmissionQueue<string>? queue = null;
        var seen = new List<int>();
        queue = new AdmissionQueue<string>(1, _time, item => seen.Add(queue!.PositionOf(item)), _ => { }, item => queue!.Release(item));
        queue.Enter("a", null);
        queue.Enter("b", null);
        queue.Enter("c", null);

        // Releasing "a" admits "b" and moves "c", whose callback here releases "c" from the queue.
        queue.Release("a");

        Assert.Equal([0], seen);
        Assert.Equal(new QueueStats(0, 1), queue.Stats);
        queue.Dispose();
    }
}
