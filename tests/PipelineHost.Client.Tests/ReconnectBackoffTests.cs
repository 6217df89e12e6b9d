namespace PipelineHost.Client.Tests;

public class ReconnectBackoffTests
{
    [Fact]
    public void Delays_grow_by_250_ms_per_failure_up_to_15_s_and_start_over_after_a_success()
    {
        var backoff = new ReconnectBackoff();

        var delays = Enumerable.Range(0, 62).Select(_ => backoff.Next().TotalMilliseconds).ToList();
        backoff.Reset();

        Assert.Equal([250, 500, 750, 1000], delays.Take(4));
        Assert.Equal(15_000, delays[59]);
        Assert.Equal(15_000, delays[61]);
        Assert.True(delays.Zip(delays.Skip(1)).All(p => p.First <= p.Second));
        Assert.Equal(250, backoff.Next().TotalMilliseconds);
    }
}
