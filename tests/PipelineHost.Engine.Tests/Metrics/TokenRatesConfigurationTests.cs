using Microsoft.Extensions.Configuration;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

/// <summary>Token rates read from configuration (<c>PipelineHost:TokenRates</c>), as the server starts with them.</summary>
public sealed class TokenRatesConfigurationTests
{
    private const double Exact = 1e-9;

    private static IConfiguration Config(params (string Key, string? Value)[] entries) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(entries.ToDictionary(e => e.Key, e => e.Value))
            .Build();

    private static TaskTokens OneHourAtHalfACore(TokenRates rates)
    {
        var acc = new MetricsAccumulator(rates, logicalCpuCount: 1);
        acc.Add(
            new ProcessSnapshot(TimeSpan.Zero, TimeSpan.Zero, 0),
            new ProcessSnapshot(TimeSpan.FromHours(1), TimeSpan.FromMinutes(30), 1024L * 1024 * 1024),
            gpuMb: 0);
        acc.SetReportedUsage(new Dictionary<string, double>(), new Dictionary<string, double> { ["pagesProcessed"] = 4, ["ocrCalls"] = 10 });
        return acc.Tokens;
    }

    [Fact]
    public void Configured_rates_change_the_tokens_computed_and_the_rest_keep_their_defaults()
    {
        var configured = TokenRates.FromConfiguration(Config(
            ("PipelineHost:TokenRates:CpuUtilizationPerVcpuHour", "2040"),
            ("PipelineHost:TokenRates:Custom:pagesProcessed", "1.5"),
            ("PipelineHost:TokenRates:Custom:ocrCalls", "0.25")));

        var byDefault = OneHourAtHalfACore(new TokenRates());
        var tokens = OneHourAtHalfACore(configured);

        Assert.Equal(510.0, byDefault.CpuUtilization, Exact);   // 0.5 CPU h × 1020
        Assert.Equal(1020.0, tokens.CpuUtilization, Exact);     // 0.5 CPU h × 2040
        Assert.Equal(100.0, tokens.CpuMemory, Exact);           // 1 GB·h × the default 100
        Assert.Equal(20.0, byDefault.Custom["pagesProcessed"], Exact);
        Assert.Equal(6.0, tokens.Custom["pagesProcessed"], Exact);
        Assert.Equal(2.5, tokens.Custom["ocrCalls"], Exact);
        Assert.False(byDefault.Custom.ContainsKey("ocrCalls"));
        Assert.Equal(1128.5, tokens.Total, Exact);
    }

    [Fact]
    public void Nothing_configured_means_the_reference_rates()
    {
        var rates = TokenRates.FromConfiguration(Config());

        Assert.Equal((1020d, 100d, 2140d, 0.594), (rates.CpuUtilizationPerVcpuHour, rates.CpuMemoryPerGbHour, rates.GpuMemoryPerGbHour, rates.GpuInferencePerSecond));
        Assert.Equal(5.0, rates.Custom[TokenRates.PagesProcessed]);
    }

    [Theory]
    [InlineData("PipelineHost:TokenRates:CpuMemoryPerGbHour", "-1", "'PipelineHost:TokenRates:CpuMemoryPerGbHour' is -1: it must be a finite, non-negative number")]
    [InlineData("PipelineHost:TokenRates:GpuMemoryPerGbHour", "lots", "'PipelineHost:TokenRates:GpuMemoryPerGbHour' is 'lots', not a number")]
    [InlineData("PipelineHost:TokenRates:Custom:pagesProcessed", "NaN", "'PipelineHost:TokenRates:Custom:pagesProcessed' is NaN")]
    [InlineData("PipelineHost:TokenRates:CpuUtilization", "2000", "Unknown token rate 'PipelineHost:TokenRates:CpuUtilization'")]
    public void Bad_configuration_is_refused_with_the_key_named(string key, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => TokenRates.FromConfiguration(Config((key, value))));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_the_first_unusable_rate()
    {
        var rates = new TokenRates { GpuInferencePerSecond = double.PositiveInfinity };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(rates.Validate);

        Assert.Contains("'GpuInferencePerSecond'", ex.Message, StringComparison.Ordinal);
        new TokenRates().Validate();
    }
}
