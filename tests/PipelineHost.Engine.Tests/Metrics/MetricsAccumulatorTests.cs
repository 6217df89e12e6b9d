using Microsoft.Extensions.Configuration;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class MetricsAccumulatorTests
{
    private const long MiB = 1024 * 1024;
    private const double Exact = 1e-9;

    private static ProcessSnapshot Snap(double seconds, double cpuSeconds, long rssBytes) =>
        new(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(cpuSeconds), rssBytes);

    private static Dictionary<string, double> Map(params (string Name, double Value)[] entries) =>
        entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);

    [Fact]
    public void One_hour_interval_gives_hand_computed_metrics_and_tokens()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 2);

        // 1800 CPU seconds over 3600 wall seconds: 50 % of one core, 25 % of two.
        acc.Add(Snap(0, 0, 0), Snap(3600, 1800, 2048 * MiB), gpuMb: 1024);
        acc.SetReportedUsage(Map(("gpu", 10_000), ("cpu", 99_999)), Map(("pagesProcessed", 7)));

        var m = acc.Metrics;
        Assert.Equal(25, m.CpuPercent, Exact);
        Assert.Equal(2048, m.CpuMemoryMb, Exact);
        Assert.Equal(1024, m.GpuMemoryMb, Exact);
        Assert.Equal(25, m.PeakCpuPercent, Exact);
        Assert.Equal(2048, m.PeakCpuMemoryMb, Exact);
        Assert.Equal(1024, m.PeakGpuMemoryMb, Exact);
        Assert.Equal(50, m.AvgCpuPercent, Exact); // un-normalised, percent of one core
        Assert.Equal(2048, m.AvgCpuMemoryMb, Exact);
        Assert.Equal(1024, m.AvgGpuMemoryMb, Exact);

        var t = acc.Tokens;
        Assert.Equal(510.0, t.CpuUtilization, Exact);   // 1800 / 3600 * 1020
        Assert.Equal(200.0, t.CpuMemory, Exact);        // 2048 MiB for an hour = 2 GB·h * 100
        Assert.Equal(2140.0, t.GpuMemory, Exact);       // 1 GB·h * 2140
        Assert.Equal(5.9, t.GpuInference, Exact);       // 10 s * 0.594 = 5.94
        Assert.Equal(35.0, t.Custom["pagesProcessed"], Exact); // 7 * 5.0
        Assert.Equal(2890.9, t.Total, Exact);
    }

    [Fact]
    public void Ten_second_interval_rounds_each_part_before_the_total()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 2);

        acc.Add(Snap(100, 20, 0), Snap(110, 27, 512 * MiB), gpuMb: 300);
        acc.SetReportedUsage(Map(("gpu", 2600)), Map(("pagesProcessed", 3), ("unpriced", 1000)));

        Assert.Equal(35, acc.Metrics.CpuPercent, Exact); // 7 s in 10 s = 70 % of one core
        var t = acc.Tokens;
        Assert.Equal(2.0, t.CpuUtilization, Exact);  // 7/3600*1020 = 1.9833
        Assert.Equal(0.1, t.CpuMemory, Exact);       // 5120/1024/3600*100 = 0.1389
        Assert.Equal(1.7, t.GpuMemory, Exact);       // 3000/1024/3600*2140 = 1.7415
        Assert.Equal(1.5, t.GpuInference, Exact);    // 2.6*0.594 = 1.5444
        Assert.Equal(15.0, t.Custom["pagesProcessed"], Exact);
        Assert.False(t.Custom.ContainsKey("unpriced"));
        Assert.Equal(20.3, t.Total, Exact);          // 2.0 + 0.1 + 1.7 + 1.5 + 15.0
    }

    [Fact]
    public void Peaks_hold_after_load_drops_and_averages_are_time_weighted()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 2);

        acc.Add(Snap(0, 0, 100 * MiB), Snap(1, 1.5, 300 * MiB), gpuMb: 50);   // 150 % of one core → 75 %
        acc.Add(Snap(1, 1.5, 300 * MiB), Snap(3, 1.5, 100 * MiB), gpuMb: 0);  // idle for 2 s

        var m = acc.Metrics;
        Assert.Equal(0, m.CpuPercent, Exact);
        Assert.Equal(100, m.CpuMemoryMb, Exact);
        Assert.Equal(0, m.GpuMemoryMb, Exact);
        Assert.Equal(75, m.PeakCpuPercent, Exact);
        Assert.Equal(300, m.PeakCpuMemoryMb, Exact);
        Assert.Equal(50, m.PeakGpuMemoryMb, Exact);
        Assert.Equal(50, m.AvgCpuPercent, Exact);            // 1.5 CPU s / 3 s
        Assert.Equal(500d / 3, m.AvgCpuMemoryMb, Exact);     // (300*1 + 100*2) / 3
        Assert.Equal(50d / 3, m.AvgGpuMemoryMb, Exact);      // (50*1) / 3
        Assert.Equal(1.5, acc.CpuSeconds, Exact);
        Assert.Equal(3, acc.DurationSeconds, Exact);
    }

    [Fact]
    public void An_interval_without_forward_time_is_ignored_and_a_cpu_drop_counts_as_idle()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 1);

        acc.Add(Snap(2, 5, MiB), Snap(2, 6, MiB), 0);
        Assert.Equal(0, acc.DurationSeconds);

        acc.Add(Snap(2, 5, MiB), Snap(3, 1, 2 * MiB), 0);
        Assert.Equal(1, acc.DurationSeconds, Exact);
        Assert.Equal(0, acc.CpuSeconds);
        Assert.Equal(2, acc.Metrics.CpuMemoryMb, Exact);
    }

    [Fact]
    public void Finish_zeroes_the_current_figures_keeps_peaks_and_averages_and_freezes_tokens()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 2);
        acc.Add(Snap(0, 0, 0), Snap(3600, 1800, 2048 * MiB), gpuMb: 1024);
        acc.SetReportedUsage(Map(("gpu", 10_000)), Map(("pagesProcessed", 7)));
        var before = acc.Tokens;
        var live = acc.Metrics;

        acc.Finish();
        acc.Add(Snap(3600, 1800, 0), Snap(7200, 3600, 4096 * MiB), gpuMb: 4096);
        acc.SetReportedUsage(Map(("gpu", 99_000)), Map(("pagesProcessed", 1000)));

        Assert.True(acc.IsFinished);
        Assert.Equal(live with { CpuPercent = 0, CpuMemoryMb = 0, GpuMemoryMb = 0 }, acc.Metrics);
        Assert.True(acc.Metrics.PeakCpuMemoryMb > 0 && acc.Metrics.AvgCpuMemoryMb > 0);
        var after = acc.Tokens;
        Assert.Equal(2890.9, after.Total, Exact);
        Assert.Equal(before.CpuUtilization, after.CpuUtilization);
        Assert.Equal(before.CpuMemory, after.CpuMemory);
        Assert.Equal(before.GpuMemory, after.GpuMemory);
        Assert.Equal(before.GpuInference, after.GpuInference);
        Assert.Equal(35.0, after.Custom["pagesProcessed"], Exact);
    }

    [Fact]
    public void Before_any_sample_metrics_and_tokens_are_zero()
    {
        var acc = new MetricsAccumulator();

        Assert.Equal(TaskMetrics.Zero, acc.Metrics);
        Assert.Equal(0, acc.Tokens.Total);
        Assert.Empty(acc.Tokens.Custom);
    }

    [Fact]
    public void Rates_come_from_the_rates_object()
    {
        var rates = new TokenRates { CpuUtilizationPerVcpuHour = 3600, GpuInferencePerSecond = 1, Custom = { ["ocrCalls"] = 0.25 } };
        var acc = new MetricsAccumulator(rates, logicalCpuCount: 1);

        acc.Add(Snap(0, 0, 0), Snap(10, 2, 0), 0);
        acc.SetReportedUsage(Map(("gpu", 1500)), Map(("ocrCalls", 10), ("pagesProcessed", 1)));

        var t = acc.Tokens;
        Assert.Equal(2.0, t.CpuUtilization, Exact);         // 2 CPU s at 3600 per hour
        Assert.Equal(1.5, t.GpuInference, Exact);           // 1.5 s at 1 per second
        Assert.Equal(2.5, t.Custom["ocrCalls"], Exact);     // 10 * 0.25 = 2.5
        Assert.Equal(5.0, t.Custom["pagesProcessed"], Exact);
        Assert.Equal(11.0, t.Total, Exact);
    }

    [Fact]
    public void Reported_usage_replaces_previous_figures_and_keeps_missing_counters()
    {
        var acc = new MetricsAccumulator(new TokenRates(), logicalCpuCount: 1);

        acc.SetReportedUsage(Map(("gpu", 1000)), Map(("pagesProcessed", 2)));
        acc.SetReportedUsage(Map(("gpu", 2000)), Map());

        Assert.Equal(1.2, acc.Tokens.GpuInference, Exact);  // 2 s * 0.594 = 1.188
        Assert.Equal(10.0, acc.Tokens.Custom["pagesProcessed"], Exact);
    }

    [Fact]
    public void Negative_rates_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MetricsAccumulator(new TokenRates { CpuMemoryPerGbHour = -1 }));
    }

    [Fact]
    public void Rates_bind_from_configuration_over_the_defaults()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PipelineHost:TokenRates:CpuUtilizationPerVcpuHour"] = "2000",
                ["PipelineHost:TokenRates:Custom:ocrCalls"] = "0.25",
            })
            .Build();

        var rates = configuration.GetSection(TokenRates.SectionName).Get<TokenRates>();

        Assert.NotNull(rates);
        Assert.Equal(2000, rates.CpuUtilizationPerVcpuHour);
        Assert.Equal(100, rates.CpuMemoryPerGbHour);
        Assert.Equal(2140, rates.GpuMemoryPerGbHour);
        Assert.Equal(0.594, rates.GpuInferencePerSecond);
        Assert.Equal(5.0, rates.Custom["pagesProcessed"]);
        Assert.Equal(0.25, rates.Custom["ocrCalls"]);
    }
}
