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
    public void The_worker_pool_size_is_unset_by_default_and_the_command_line_beats_the_environment()
    {
        var environment = new Dictionary<string, string?> { ["PIPELINEHOST_WORKER_POOL_SIZE"] = "4" };

        Assert.Null(ServerOptionsParser.Parse([], NoEnvironment).WorkerPoolSize);
        Assert.Equal(4, ServerOptionsParser.Parse([], environment).WorkerPoolSize);
        Assert.Equal(0, ServerOptionsParser.Parse(["--worker-pool-size", "0"], environment).WorkerPoolSize);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("65")]
    [InlineData("two")]
    public void A_bad_worker_pool_size_is_reported(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--worker-pool-size", value], NoEnvironment));

        Assert.Contains("Option '--worker-pool-size' must be a whole number from 0 to 64", ex.Message, StringComparison.Ordinal);
    }
}
