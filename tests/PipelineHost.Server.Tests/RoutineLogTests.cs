using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>What reaches the operator's log at Information: tasks starting and ending, the host, errors; not every client's routine calls.</summary>
public sealed class RoutineLogTests
{
    [Fact]
    public async Task Connect_authenticate_ping_status_and_close_log_nothing_at_information()
    {
        var logs = new LevelLogs();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ILoggerProvider>(logs));
        string token;
        await using (var setup = await server.ConnectAsync())
        {
            token = (await setup.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        }

        logs.Clear();
        await using (var client = await server.ConnectAsync())
        {
            Assert.True((await client.RequestAsync("rrext_ping")).Success);
            Assert.True((await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token })).Success);
        }

        Assert.Empty(logs.AtLeast(LogLevel.Information));
    }

    private sealed class LevelLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

        public IReadOnlyList<string> AtLeast(LogLevel level) =>
            [.. _entries.Where(e => e.Level >= level && e.Category.StartsWith("PipelineHost", StringComparison.Ordinal)).Select(e => $"{e.Level} {e.Category}: {e.Message}")];

        public void Clear() => _entries.Clear();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LevelLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
