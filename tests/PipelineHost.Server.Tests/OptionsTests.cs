using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Tests;

public class OptionsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    [Fact]
    public void Defaults_need_no_setup()
    {
        var options = ServerOptionsParser.Parse([], NoEnvironment);

        Assert.Equal(5565, options.Port);
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Empty(options.ApiKeys);
    }

    [Fact]
    public void Api_keys_repeat_and_split_on_commas_and_the_command_line_beats_the_environment()
    {
        var environment = new Dictionary<string, string?> { ["PIPELINEHOST_API_KEY"] = "env1,env2", ["PIPELINEHOST_PORT"] = "7000" };

        var fromEnvironment = ServerOptionsParser.Parse([], environment);
        var fromArgs = ServerOptionsParser.Parse(["--api-key", "a,b", "--api-key=c", "--port", "6000", "--host", "0.0.0.0"], environment);

        Assert.Equal(["env1", "env2"], fromEnvironment.ApiKeys);
        Assert.Equal(7000, fromEnvironment.Port);
        Assert.Equal(["a", "b", "c"], fromArgs.ApiKeys);
        Assert.Equal(6000, fromArgs.Port);
        Assert.Equal("http://0.0.0.0:6000", fromArgs.Url);
    }

    [Theory]
    [InlineData("--port", "70000", "Port '70000'")]
    [InlineData("--port", "abc", "Port 'abc'")]
    [InlineData("--colour", "red", "Unknown option '--colour'")]
    public void Bad_options_are_reported_by_name(string name, string value, string error)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([name, value], NoEnvironment));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void History_retention_defaults_to_seven_days_and_is_set_in_seconds()
    {
        var environment = new Dictionary<string, string?> { ["PIPELINEHOST_HISTORY_RETENTION"] = "3600" };

        Assert.Equal(TimeSpan.FromDays(7), ServerOptionsParser.Parse([], NoEnvironment).HistoryRetention);
        Assert.Equal(TimeSpan.FromHours(1), ServerOptionsParser.Parse([], environment).HistoryRetention);
        Assert.Equal(TimeSpan.FromSeconds(90), ServerOptionsParser.Parse(["--history-retention", "90"], environment).HistoryRetention);
        Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--history-retention", "-1"], NoEnvironment));
    }

    [Fact]
    public void A_missing_value_is_reported()
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--port"], NoEnvironment));

        Assert.Contains("needs a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_rates_come_from_settings_then_the_environment_then_the_command_line()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PipelineHost:TokenRates:CpuUtilizationPerVcpuHour"] = "1500",
            ["PipelineHost:TokenRates:GpuInferencePerSecond"] = "1",
            ["PipelineHost:TokenRates:Custom:ocrCalls"] = "0.5",
        }).Build();
        var environment = new Dictionary<string, string?>
        {
            ["PipelineHost__TokenRates__CpuUtilizationPerVcpuHour"] = "2040",
            ["PipelineHost__TokenRates__CpuMemoryPerGbHour"] = "50",
        };

        var defaults = ServerOptionsParser.Parse([], NoEnvironment).TokenRates;
        var fromSettings = ServerOptionsParser.Parse([], NoEnvironment, settings).TokenRates;
        var layered = ServerOptionsParser.Parse(["--PipelineHost:TokenRates:CpuMemoryPerGbHour=75", "--PipelineHost:TokenRates:Custom:pagesProcessed", "2"], environment, settings).TokenRates;

        Assert.Equal(1020, defaults.CpuUtilizationPerVcpuHour);
        Assert.Equal(1500, fromSettings.CpuUtilizationPerVcpuHour);
        Assert.Equal(2040, layered.CpuUtilizationPerVcpuHour);   // the environment beats the settings file
        Assert.Equal(75, layered.CpuMemoryPerGbHour);            // the command line beats the environment
        Assert.Equal(1, layered.GpuInferencePerSecond);
        Assert.Equal(2140, layered.GpuMemoryPerGbHour);
        Assert.Equal(0.5, layered.Custom["ocrCalls"]);
        Assert.Equal(2, layered.Custom["pagesProcessed"]);
    }

    [Fact]
    public async Task The_configured_rates_are_the_ones_the_engine_bills_with()
    {
        var options = ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PipelineHost__TokenRates__CpuUtilizationPerVcpuHour"] = "3600" }) with
        {
            Port = 0,
            ApiKeys = ["k"],
            DataDirectory = Support.TestServer.NewDataDirectory(),
        };

        await using var app = PipelineHostApp.Build(options, b => b.WebHost.UseTestServer());
        var engine = app.Services.GetRequiredService<PipelineHost.Engine.EngineOptions>();
        var accumulator = new MetricsAccumulator(engine.TokenRates, logicalCpuCount: 1);
        accumulator.Add(new(TimeSpan.Zero, TimeSpan.Zero, 0), new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 0), gpuMb: 0);

        Assert.Equal(2.0, accumulator.Tokens.CpuUtilization, 9);   // 2 CPU seconds at 3600 per CPU hour
        Directory.Delete(options.DataDirectory, recursive: true);
    }

    [Theory]
    [InlineData("PipelineHost__TokenRates__CpuUtilizationPerVcpuHour", "-5", "'PipelineHost:TokenRates:CpuUtilizationPerVcpuHour' is -5")]
    [InlineData("PipelineHost__TokenRates__Custom__pagesProcessed", "five", "'PipelineHost:TokenRates:Custom:pagesProcessed' is 'five', not a number")]
    [InlineData("PipelineHost__TokenRates__CpuUtilization", "1", "Unknown token rate 'PipelineHost:TokenRates:CpuUtilization'")]
    public void Invalid_token_rates_fail_the_start_with_the_key_named(string variable, string value, string error)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([], new Dictionary<string, string?> { [variable] = value }));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rates_set_in_code_are_checked_when_the_server_is_built()
    {
        var options = new ServerOptions { DataDirectory = Support.TestServer.NewDataDirectory(), TokenRates = new TokenRates { GpuMemoryPerGbHour = -1 } };

        var ex = Assert.ThrowsAny<ArgumentException>(() => PipelineHostApp.Build(options));

        Assert.Contains("'GpuMemoryPerGbHour'", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(options.DataDirectory));
    }

    [Fact]
    public void The_pipe_idle_timeout_defaults_to_a_minute_and_is_set_in_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), ServerOptionsParser.Parse([], NoEnvironment).PipeIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PIPELINEHOST_PIPE_IDLE_TIMEOUT"] = "5" }).PipeIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1.5), ServerOptionsParser.Parse(["--pipe-idle-timeout", "1.5"], NoEnvironment).PipeIdleTimeout);
        var zero = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--pipe-idle-timeout", "0"], NoEnvironment));
        Assert.Contains("greater than 0", zero.Message, StringComparison.Ordinal);
    }
}
