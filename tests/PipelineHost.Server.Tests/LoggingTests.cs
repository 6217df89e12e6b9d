using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;
using Serilog.Core;
using Serilog.Events;

namespace PipelineHost.Server.Tests;

/// <summary>The host's log: Serilog with levels from configuration, the request log, the event id registry, and no secrets.</summary>
public partial class LoggingTests
{
    [Fact]
    public void Every_logger_message_takes_a_unique_id_from_the_registry()
    {
        var registry = typeof(LogEventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var used = new[] { typeof(TaskManager).Assembly, typeof(PipelineHostApp).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.Equal(registry.Count, registry.Values.Distinct().Count());
        Assert.NotEmpty(used);
        Assert.All(used, m => Assert.Contains(m.Attribute!.EventId, registry.Values));
        Assert.Equal(used.Count, used.Select(m => m.Attribute!.EventId).Distinct().Count());
    }

    [Fact]
    public async Task A_full_protocol_session_logged_at_verbose_shows_no_api_key_task_token_public_key_or_data_path()
    {
        var sink = new CapturingLogSink();
        await using var server = await TestServer.StartAsync(
            options: o => o with { LoggingConfiguration = Settings(("Serilog:MinimumLevel:Default", "Verbose"), ("Serilog:MinimumLevel:Override:Microsoft", "Verbose")) },
            services: s => s.AddSingleton<ILogEventSink>(sink));
        string token;
        string publicKey;
        await using (var client = await server.ConnectAsync())
        {
            var started = await client.ExecuteAsync(TestPipelines.Echo());
            token = started["token"]!.GetValue<string>();
            publicKey = started["publicToken"]!.GetValue<string>();
            Assert.True((await client.SendAsync(token, "hello")).Success);
            await client.StatusAsync(token);
            Assert.False((await client.RequestAsync("rrext_get_task_status", new() { ["token"] = "tk_" + new string('0', 32) })).Success);
            await client.RequestAsync("terminate", new() { ["token"] = token });
            await client.WaitForStateAsync(token, 6);
        }

        // The same over HTTP: the key as a header and in the query, the task token, the public key.
        using var http = server.CreateHttpClient();
        using var launch = new HttpRequestMessage(HttpMethod.Post, "/task") { Content = new StringContent(TestPipelines.Echo().ToJsonString(), Encoding.UTF8, "application/json") };
        launch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);
        using var launched = await http.SendAsync(launch);
        var data = JsonNode.Parse(await launched.Content.ReadAsStringAsync())!["data"]!;
        var httpToken = data["token"]!.GetValue<string>();
        var httpPublicKey = data["publicToken"]!.GetValue<string>();
        using var webhook = await http.PostAsync($"/webhook?auth={httpPublicKey}", new StringContent("Hello", Encoding.UTF8, "text/plain"));
        using var status = await http.GetAsync($"/task?token={httpToken}");
        using var wrongKey = await http.GetAsync($"/task/list?auth=not-{TestServer.ApiKey}");
        using var stop = await http.DeleteAsync($"/task?token={httpToken}&auth={TestServer.ApiKey}");
        await server.DisposeAsync();

        Assert.Equal(HttpStatusCode.OK, launched.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var lines = sink.Lines;
        Assert.Contains(sink.Events, e => e.Level == LogEventLevel.Verbose);
        Assert.Contains(sink.Events, e => e.MessageTemplate.Text.Contains("created", StringComparison.Ordinal) && e.Properties.ContainsKey("TaskId"));
        foreach (var secret in new[] { TestServer.ApiKey, token, publicKey, httpToken, httpPublicKey, server.DataDirectory })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(lines, l => CredentialPattern().IsMatch(l));
    }

    [Fact]
    public async Task Requests_are_logged_once_each_at_debug_without_their_query_and_information_keeps_the_task_lines()
    {
        var debug = new CapturingLogSink();
        var information = new CapturingLogSink();
        await using (var verbose = await TestServer.StartAsync(
            options: o => o with { LoggingConfiguration = Settings(("Serilog:MinimumLevel:Default", "Debug")) },
            services: s => s.AddSingleton<ILogEventSink>(debug)))
        {
            using var http = verbose.CreateHttpClient();
            using var _ = await http.GetAsync($"/task?token=tk_{new string('1', 32)}");
        }

        await using (var quiet = await TestServer.StartAsync(services: s => s.AddSingleton<ILogEventSink>(information)))
        {
            await using var client = await quiet.ConnectAsync();
            var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
            using var http = quiet.CreateHttpClient();
            using var _ = await http.GetAsync($"/task?token={token}");
            await client.RequestAsync("terminate", new() { ["token"] = token });
        }

        var request = Assert.Single(debug.Events, e => CapturingLogSink.SourceContext(e) == "Serilog.AspNetCore.RequestLoggingMiddleware");
        Assert.Equal(LogEventLevel.Debug, request.Level);
        Assert.Equal("\"/task\"", request.Properties["RequestPath"].ToString());
        Assert.All(information.Events, e => Assert.True(e.Level >= LogEventLevel.Information, e.MessageTemplate.Text));
        Assert.DoesNotContain(information.Events, e => CapturingLogSink.SourceContext(e) == "Serilog.AspNetCore.RequestLoggingMiddleware");
        Assert.Contains(information.Events, e => e.Properties.TryGetValue("EventId", out var id) && id.ToString().Contains($"{LogEventIds.TaskCreated}", StringComparison.Ordinal));
        Assert.Contains(information.Events, e => e.Properties.TryGetValue("EventId", out var id) && id.ToString().Contains($"{LogEventIds.TaskEnded}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_configuration_sets_levels_and_the_json_file_gets_compact_lines_with_task_connection_and_host()
    {
        var sink = new CapturingLogSink();
        var dataDirectory = TestServer.NewDataDirectory();
        var logFile = Path.Combine(dataDirectory, "logs", "pipelinehost.json");
        try
        {
            await using (var server = await TestServer.StartAsync(
                options: o => o with { LogJsonFile = logFile, LoggingConfiguration = Settings(("Serilog:MinimumLevel:Override:PipelineHost.Connection", "Warning")) },
                services: s => s.AddSingleton<ILogEventSink>(sink),
                dataDirectory: dataDirectory))
            {
                await using var client = await server.ConnectAsync();
                var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
                await client.RequestAsync("terminate", new() { ["token"] = token });
                await client.WaitForStateAsync(token, 6);
            }

            string[] lines;
            using (var reader = new StreamReader(new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)))
            {
                lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }

            var events = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            var created = Assert.Single(events, e => e["EventId"]?["Id"]?.GetValue<int>() == LogEventIds.TaskCreated);
            Assert.Equal(Environment.MachineName, created[ServerLogging.HostProperty]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(created["TaskId"]!.GetValue<string>()));
            Assert.NotNull(created["ConnectionId"]);
            Assert.NotNull(created["@t"]);
            Assert.NotNull(created["@mt"]);

            // PipelineHost.Connection is set to Warning: its Information lines (connection opened and closed) are gone.
            Assert.DoesNotContain(sink.Events, e => CapturingLogSink.SourceContext(e) == "PipelineHost.Connection" && e.Level < LogEventLevel.Warning);
            Assert.Contains(sink.Events, e => CapturingLogSink.SourceContext(e) == typeof(TaskManager).FullName);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void Logging_options_come_from_the_command_line_the_environment_and_the_serilog_section()
    {
        var environment = new Dictionary<string, string?>
        {
            ["PIPELINEHOST_LOG_JSON"] = "/var/log/env.json",
            ["PIPELINEHOST_METRICS_PUBLIC"] = "1",
            ["Serilog__MinimumLevel__Default"] = "Debug",
        };

        var fromEnvironment = ServerOptionsParser.Parse([], environment);
        var fromArgs = ServerOptionsParser.Parse(["--log-json", "/var/log/args.json", "--metrics-public", "--Serilog:MinimumLevel:Default=Warning"], new Dictionary<string, string?>());
        var explicitFalse = ServerOptionsParser.Parse(["--metrics-public", "false", "--port", "1"], environment);

        Assert.Equal("/var/log/env.json", fromEnvironment.LogJsonFile);
        Assert.True(fromEnvironment.MetricsPublic);
        Assert.Equal("Debug", fromEnvironment.LoggingConfiguration!["Serilog:MinimumLevel:Default"]);
        Assert.Equal("/var/log/args.json", fromArgs.LogJsonFile);
        Assert.True(fromArgs.MetricsPublic);
        Assert.Equal("Warning", fromArgs.LoggingConfiguration!["Serilog:MinimumLevel:Default"]);
        Assert.False(explicitFalse.MetricsPublic);
        Assert.False(ServerOptionsParser.Parse([], new Dictionary<string, string?>()).MetricsPublic);
        Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PIPELINEHOST_METRICS_PUBLIC"] = "maybe" }));
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [GeneratedRegex("(tk|pk)_[0-9a-f]{32}")]
    private static partial Regex CredentialPattern();
}
