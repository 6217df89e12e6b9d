using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace PipelineHost.Server.Tests.Support;

/// <summary>
/// Every event the server logs, kept as the event and as the compact JSON line a log shipper would get (message,
/// template, every property and the exception), so a test can search all of it.
/// </summary>
public sealed class CapturingLogSink : ILogEventSink
{
    private readonly ConcurrentQueue<(LogEvent Event, string Line)> _events = new();
    private readonly CompactJsonFormatter _formatter = new();

    public IReadOnlyList<LogEvent> Events => _events.Select(e => e.Event).ToList();

    public IReadOnlyList<string> Lines => _events.Select(e => e.Line).ToList();

    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        _formatter.Format(logEvent, writer);

        // The rendered message too: the JSON line carries the template and the values, not the text operators read.
        _events.Enqueue((logEvent, writer.ToString() + logEvent.RenderMessage(CultureInfo.InvariantCulture)));
    }

    public static string? SourceContext(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("SourceContext", out var value) && value is ScalarValue { Value: string name } ? name : null;
}
