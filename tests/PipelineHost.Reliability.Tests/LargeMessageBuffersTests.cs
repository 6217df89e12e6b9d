using Microsoft.Extensions.Time.Testing;
using PipelineHost.Protocol.Framing;

namespace PipelineHost.Reliability.Tests;

/// <summary>Large messages reuse pooled buffers during a burst and give the memory back after it (issue 17, item 2).</summary>
public sealed class LargeMessageBuffersTests
{
    [Fact]
    public void A_returned_buffer_is_reused_and_dropped_once_the_pool_has_been_idle()
    {
        var time = new FakeTimeProvider();
        var pool = new LargeMessageBuffers(time);

        var first = pool.Rent(4 << 20);
        pool.Return(first);
        var second = pool.Rent(3 << 20);
        pool.Return(second);
        var trimmedEarly = pool.TrimIfIdle();
        time.Advance(LargeMessageBuffers.IdleAfter);
        var trimmed = pool.TrimIfIdle();

        Assert.Same(first, second);
        Assert.False(trimmedEarly);
        Assert.True(trimmed);
        Assert.Equal(0, pool.CachedBytes);
        Assert.Equal(0, pool.Collections); // a small burst is not worth a collection
    }

    [Fact]
    public void After_a_big_burst_the_idle_trim_also_collects_once()
    {
        var time = new FakeTimeProvider();
        var pool = new LargeMessageBuffers(time);

        for (var i = 0; i < 5; i++)
        {
            pool.Return(pool.Rent(16 << 20));
        }

        time.Advance(LargeMessageBuffers.IdleAfter);
        Assert.True(pool.TrimIfIdle());
        Assert.False(pool.TrimIfIdle());

        Assert.Equal(1, pool.Collections);
    }

    [Fact]
    public void The_cache_is_bounded()
    {
        var pool = new LargeMessageBuffers(new FakeTimeProvider());
        var buffers = Enumerable.Range(0, 5).Select(_ => pool.Rent(64 << 20)).ToList();

        buffers.ForEach(b => pool.Return(b));

        Assert.True(pool.CachedBytes <= LargeMessageBuffers.MaxCachedBytes);
    }
}
