using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

public class OptionsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task The_server_prints_its_options_for_help_and_exits_0(string help)
    {
        var (exitCode, output, error) = await RunServerAsync(help);

        Assert.True(exitCode == 0, error);
        Assert.Contains("--port N", output, StringComparison.Ordinal);
        Assert.Contains("--worker-pool-size N", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public async Task An_unknown_server_option_is_one_clear_line_and_a_usage_exit_code()
    {
        var (exitCode, output, error) = await RunServerAsync("--bogus", "1");

        Assert.Equal(1, exitCode); // a failed start, as every bad option (issues 17 and 19)
        Assert.Equal("pipelinehost: Unknown option '--bogus' (see --help)", error.Trim());
        Assert.Empty(output);
    }

    // The real server executable, as a user starts it.
    private static async Task<(int ExitCode, string Output, string Error)> RunServerAsync(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PipelineHost.Server.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        return (process.ExitCode, await output, await error);
    }

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
    [InlineData("--port", "70000", "Option '--port' must be a whole number from 0 to 65535, not '70000'.")]
    [InlineData("--port", "abc", "Option '--port' must be a whole number from 0 to 65535, not 'abc'.")]
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
    public void Callback_settings_are_configuration_keys_on_the_command_line_or_in_the_environment()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PipelineHost:Callbacks:SigningKey"] = "from-settings",
            ["PipelineHost:Callbacks:AttemptTimeout"] = "30",
        }).Build();
        var environment = new Dictionary<string, string?>
        {
            ["PipelineHost__Callbacks__SigningKey"] = "from-env",
            ["PIPELINEHOST__CALLBACKS__MAXATTEMPTS"] = "3",
        };

        var defaults = ServerOptionsParser.Parse([], NoEnvironment).Callbacks;
        var fromSettings = ServerOptionsParser.Parse([], NoEnvironment, settings).Callbacks;
        var fromEnvironment = ServerOptionsParser.Parse([], environment, settings).Callbacks;
        var fromArgs = ServerOptionsParser.Parse(
            ["--PipelineHost:Callbacks:SigningKey", "from-args", "--pipelinehost:callbacks:allowprivatenetworks=true",
             "--PipelineHost:Callbacks:InitialDelay", "0.5", "--PipelineHost:Callbacks:AttemptTimeout", "2"],
            environment,
            settings).Callbacks;

        Assert.Equal((null, false, 5, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), (defaults.SigningKey, defaults.AllowPrivateNetworks, defaults.MaxAttempts, defaults.InitialDelay, defaults.AttemptTimeout));
        Assert.Equal(("from-settings", TimeSpan.FromSeconds(30)), (fromSettings.SigningKey, fromSettings.AttemptTimeout));
        Assert.Equal(("from-env", 3, TimeSpan.FromSeconds(30)), (fromEnvironment.SigningKey, fromEnvironment.MaxAttempts, fromEnvironment.AttemptTimeout));
        Assert.Equal(("from-args", true, 3, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)), (fromArgs.SigningKey, fromArgs.AllowPrivateNetworks, fromArgs.MaxAttempts, fromArgs.InitialDelay, fromArgs.AttemptTimeout));
    }

    [Theory]
    [InlineData("--PipelineHost:Callbacks:MaxAttempts", "0", "must be a whole number from 1 to 20")]
    [InlineData("--PipelineHost:Callbacks:AttemptTimeout", "0", "must be a number of seconds greater than 0")]
    [InlineData("--PipelineHost:Callbacks:SigningKey", "", "must not be empty")]
    [InlineData("--PipelineHost:Callbacks:AllowPrivateNetworks", "yes", "must be true or false")]
    [InlineData("--PipelineHost:Callbacks:Colour", "red", "Unknown callback setting 'PipelineHost:Callbacks:Colour'")]
    public void Bad_callback_settings_are_reported_by_name(string name, string value, string error)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([name, value], NoEnvironment));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_value_is_reported()
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--port"], NoEnvironment));

        Assert.Contains("needs a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_concurrent_tasks_comes_from_the_command_line_the_environment_or_the_configuration()
    {
        var environment = new Dictionary<string, string?> { ["PIPELINEHOST_MAX_CONCURRENT_TASKS"] = "6" };
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new("PipelineHost:MaxConcurrentTasks", "9")]).Build();

        var byDefault = PipelineHostApp.EngineOptionsFrom(ServerOptionsParser.Parse([], NoEnvironment));
        var fromSettings = PipelineHostApp.EngineOptionsFrom(ServerOptionsParser.Parse([], NoEnvironment, settings));
        var fromConfigVariable = ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PipelineHost__MaxConcurrentTasks"] = "7" }, settings);
        var fromConfigArgument = ServerOptionsParser.Parse(["--PipelineHost:MaxConcurrentTasks=3"], NoEnvironment, settings);
        var fromEnvironment = ServerOptionsParser.Parse([], environment, settings);
        var fromArgs = ServerOptionsParser.Parse(["--max-concurrent-tasks", "2"], environment, settings);

        Assert.Equal(Environment.ProcessorCount * 4, byDefault.MaxConcurrentTasks);
        Assert.Equal(9, fromSettings.MaxConcurrentTasks);
        Assert.Equal(7, fromConfigVariable.MaxConcurrentTasks);
        Assert.Equal(3, fromConfigArgument.MaxConcurrentTasks);
        Assert.Equal(6, fromEnvironment.MaxConcurrentTasks);
        Assert.Equal(2, fromArgs.MaxConcurrentTasks);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("many")]
    public void Max_concurrent_tasks_must_be_at_least_one(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--max-concurrent-tasks", value], NoEnvironment));

        Assert.Equal($"Option '--max-concurrent-tasks' must be a whole number of at least 1, not '{value}'.", ex.Message);
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

    [Fact]
    public void The_worker_pool_size_comes_from_configuration_when_no_option_or_variable_gives_it()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PipelineHost:WorkerPoolSize"] = "1" }).Build();
        var environment = new Dictionary<string, string?> { ["PipelineHost__WorkerPoolSize"] = "3" };

        Assert.Equal(1, ServerOptionsParser.Parse([], NoEnvironment, settings).WorkerPoolSize);
        Assert.Equal(3, ServerOptionsParser.Parse([], environment, settings).WorkerPoolSize);
        Assert.Equal(5, ServerOptionsParser.Parse(["--PipelineHost:WorkerPoolSize=5"], environment, settings).WorkerPoolSize);
        Assert.Equal(0, ServerOptionsParser.Parse(["--worker-pool-size", "0"], environment, settings).WorkerPoolSize);
        var bad = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PipelineHost__WorkerPoolSize"] = "-1" }));
        Assert.Equal("Configuration 'PipelineHost:WorkerPoolSize' must be a whole number from 0 to 64, not '-1'.", bad.Message);
    }

    [Fact]
    public void The_components_folder_comes_from_the_option_the_variable_or_configuration_in_that_order()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PipelineHost:ComponentsDir"] = "/srv/from-settings" }).Build();
        var environment = new Dictionary<string, string?> { ["PIPELINEHOST_COMPONENTS_DIR"] = "/srv/from-env" };

        Assert.Null(ServerOptionsParser.Parse([], NoEnvironment).ComponentsDirectory);
        Assert.Equal("/srv/from-settings", ServerOptionsParser.Parse([], NoEnvironment, settings).ComponentsDirectory);
        Assert.Equal("/srv/from-env", ServerOptionsParser.Parse([], environment, settings).ComponentsDirectory);
        Assert.Equal("/srv/from-cli", ServerOptionsParser.Parse(["--components-dir", "/srv/from-cli"], environment, settings).ComponentsDirectory);
        Assert.Equal("Unknown option '--test-components' (see --help)", Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--test-components", "true"], NoEnvironment)).Message);
    }
}

/// <summary>One mechanism for every option: <see cref="ServerOptionTable"/> in all four sources, one documented table.</summary>
public class OptionTableTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    public static TheoryData<string> OptionNames => [.. ServerOptionTable.All.Select(o => o.Name)];

    private static string SampleValue(ServerOption option) => option.Placeholder switch
    {
        "N" => "3",
        "SECONDS" => "7",
        "true/false" => "true",
        "DIR" => "/tmp/pipelinehost-sample",
        "PATH" => "/tmp/a,/tmp/b",
        "CONNECTION" => "Host=db.example;Database=pipelinehost",
        _ => "sample1,sample2",
    };

    private static string Snapshot(ServerOptions options) => System.Text.Json.JsonSerializer.Serialize(options);

    [Theory]
    [MemberData(nameof(OptionNames))]
    public void Every_option_has_one_name_on_the_command_line_in_the_environment_and_in_appsettings(string name)
    {
        var option = ServerOptionTable.Find(name)!;
        var value = SampleValue(option);
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new(option.ConfigurationKey, value)]).Build();

        var fromCommandLine = ServerOptionsParser.Parse([$"--{name}", value], NoEnvironment);
        var fromVariable = ServerOptionsParser.Parse([], new Dictionary<string, string?> { [option.EnvironmentVariable] = value });
        var fromConfigurationVariable = ServerOptionsParser.Parse([], new Dictionary<string, string?> { [option.ConfigurationKey.Replace(":", "__", StringComparison.Ordinal)] = value });
        var fromConfigurationArgument = ServerOptionsParser.Parse([$"--{option.ConfigurationKey}={value}"], NoEnvironment);
        var fromSettings = ServerOptionsParser.Parse([], NoEnvironment, settings);

        Assert.NotEqual(Snapshot(ServerOptionsParser.Parse([], NoEnvironment)), Snapshot(fromCommandLine));
        Assert.All([fromVariable, fromConfigurationVariable, fromConfigurationArgument, fromSettings], o => Assert.Equal(Snapshot(fromCommandLine), Snapshot(o)));
        Assert.Equal("PIPELINEHOST_" + name.Replace('-', '_').ToUpperInvariant(), option.EnvironmentVariable);
    }

    [Fact]
    public void The_command_line_beats_the_environment_which_beats_appsettings()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new("PipelineHost:StopGrace", "1")]).Build();
        var configurationVariable = new Dictionary<string, string?> { ["PipelineHost__StopGrace"] = "2" };
        var both = new Dictionary<string, string?> { ["PipelineHost__StopGrace"] = "2", ["PIPELINEHOST_STOP_GRACE"] = "3" };

        Assert.Equal(TimeSpan.FromSeconds(1), ServerOptionsParser.Parse([], NoEnvironment, settings).StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(2), ServerOptionsParser.Parse([], configurationVariable, settings).StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(3), ServerOptionsParser.Parse([], both, settings).StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(4), ServerOptionsParser.Parse(["--PipelineHost:StopGrace=4"], both, settings).StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(5), ServerOptionsParser.Parse(["--PipelineHost:StopGrace=4", "--stop-grace", "5"], both, settings).StopGrace);
    }

    [Fact]
    public void A_list_option_is_a_json_array_in_appsettings()
    {
        var settings = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream("""{"PipelineHost":{"ApiKey":["k1","k2"],"AllowRoot":"/srv/a"}}"""u8.ToArray()))
            .Build();

        var options = ServerOptionsParser.Parse([], NoEnvironment, settings);

        Assert.Equal(["k1", "k2"], options.ApiKeys);
        Assert.Equal(["/srv/a"], options.AllowedRoots);
    }

    [Theory]
    [InlineData("PIPELINEHOST_STOP_GRACE", "soon", "Environment variable 'PIPELINEHOST_STOP_GRACE' must be a number of seconds, not 'soon'.")]
    [InlineData("PipelineHost__Retention", "-1", "Configuration 'PipelineHost:Retention' must be a number of seconds, not '-1'.")]
    [InlineData("PIPELINEHOST_METRICS_PUBLIC", "yes", "Environment variable 'PIPELINEHOST_METRICS_PUBLIC' must be true or false, not 'yes'.")]
    [InlineData("PIPELINEHOST_FAILED_ITEM_MAX_BYTES", "1MB", "Environment variable 'PIPELINEHOST_FAILED_ITEM_MAX_BYTES' must be a number of bytes, not '1MB'.")]
    public void A_bad_value_names_the_option_as_it_was_given(string variable, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([], new Dictionary<string, string?> { [variable] = value }));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void A_bad_value_in_appsettings_names_its_key()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new("PipelineHost:Port", "http")]).Build();

        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([], NoEnvironment, settings));

        Assert.Equal("Configuration 'PipelineHost:Port' must be a whole number from 0 to 65535, not 'http'.", ex.Message);
    }

    [Fact]
    public void The_readme_options_table_is_the_one_generated_from_the_code()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");
        const string begin = "<!-- options:begin (generated from ServerOptionTable; OptionTableTests keeps it equal) -->\n";
        const string end = "<!-- options:end -->";

        var start = readme.IndexOf(begin, StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md lacks the options table markers");
        var table = readme[(start + begin.Length)..readme.IndexOf(end, start, StringComparison.Ordinal)];

        Assert.Equal(ServerOptionTable.Markdown(), table);
    }

    [Fact]
    public async Task A_bad_value_stops_the_real_server_at_start_with_exit_code_1_and_a_message_naming_the_option()
    {
        var server = Path.Combine(AppContext.BaseDirectory, "PipelineHost.Server.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { server, "--data-dir", Path.Combine(Path.GetTempPath(), "pipelinehost-tests", Guid.NewGuid().ToString("N")) })
            start.ArgumentList.Add(arg);
        start.Environment["PIPELINEHOST_MAX_CONCURRENT_TASKS"] = "lots";

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(Support.TestTimeouts.Default);
        await process.WaitForExitAsync().WaitAsync(Support.TestTimeouts.Default);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("pipelinehost: Environment variable 'PIPELINEHOST_MAX_CONCURRENT_TASKS' must be a whole number of at least 1, not 'lots'.", stderr.Trim());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PipelineHost.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("PipelineHost.sln not found above the test's folder");
    }
}
