using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class UsageCalculatorTests
{
    private static ProcessSnapshot Snap(double seconds, double cpuSeconds, long rss = 0) =>
        new(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(cpuSeconds), rss);

    [Fact]
    public void Half_a_cpu_second_in_one_wall_second_is_50_percent_of_one_core_and_25_on_two_cores()
    {
        var raw = UsageCalculator.CpuPercentOfOneCore(Snap(10, 3), Snap(11, 3.5));

        Assert.Equal(50d, raw, 9);
        Assert.Equal(25d, UsageCalculator.NormalizeCpuPercent(raw, 2), 9);
    }

    [Fact]
    public void Percent_of_one_core_may_exceed_100_but_normalised_is_clamped()
    {
        var raw = UsageCalculator.CpuPercentOfOneCore(Snap(0, 0), Snap(1, 4.5));

        Assert.Equal(450d, raw, 9);
        Assert.Equal(100d, UsageCalculator.NormalizeCpuPercent(raw, 4), 9);
        Assert.Equal(56.25d, UsageCalculator.NormalizeCpuPercent(raw, 8), 9);
    }

    [Fact]
    public void No_forward_wall_time_gives_zero()
    {
        Assert.Equal(0d, UsageCalculator.CpuPercentOfOneCore(Snap(5, 0), Snap(5, 1)));
        Assert.Equal(0d, UsageCalculator.CpuPercentOfOneCore(Snap(5, 0), Snap(4, 1)));
    }

    [Fact]
    public void Cpu_time_going_down_after_a_process_restart_gives_zero()
    {
        Assert.Equal(0d, UsageCalculator.CpuPercentOfOneCore(Snap(0, 9), Snap(1, 0.2)));
    }

    [Fact]
    public void Normalisation_guards_odd_inputs()
    {
        Assert.Equal(0d, UsageCalculator.NormalizeCpuPercent(-5, 2));
        Assert.Equal(0d, UsageCalculator.NormalizeCpuPercent(double.NaN, 2));
        Assert.Equal(40d, UsageCalculator.NormalizeCpuPercent(40, 0));
    }

    [Fact]
    public void Megabytes_are_mebibytes()
    {
        Assert.Equal(200d, UsageCalculator.ToMegabytes(200L * 1024 * 1024));
    }

    [Fact]
    public void Token_rounding_is_to_one_decimal()
    {
        Assert.Equal(28.3, UsageCalculator.RoundTokens(100d / 3600 * 1020));
        Assert.Equal(0.2, UsageCalculator.RoundTokens(0.25));
        Assert.Equal(0.4, UsageCalculator.RoundTokens(0.35000001));
    }
}
