using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PipelineHost.Pipelines.Runtime;

namespace PipelineHost.Worker;

/// <summary>
/// Who hears the worker's component spans (<see cref="PipelineTracing.ComponentSpan"/>), decided from the task's
/// environment when the task starts: OpenTelemetry's OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (the same collector as the host's, so one trace spans both processes), and/or one JSON line per span appended to
/// the file <see cref="TraceFileVariable"/> names (for debugging without a collector, and the tests). Neither:
/// nobody listens and the spans are never created.
/// </summary>
internal static class WorkerTracing
{
    /// <summary>A file each finished span is appended to as a JSON line.</summary>
    public const string TraceFileVariable = "PIPELINEHOST_WORKER_TRACE_FILE";

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Starts the listeners the environment asks for; null when it asks for none.</summary>
    public static IDisposable? Listen()
    {
        var listeners = new List<IDisposable>();
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable)))
        {
            listeners.Add(StartOtlp());
        }

        if (Environment.GetEnvironmentVariable(TraceFileVariable) is { Length: > 0 } file)
        {
            listeners.Add(new SpanFile(file));
        }

        return listeners.Count == 0 ? null : new Listeners(listeners);
    }

    /// <summary>The span context a W3C <paramref name="traceparent"/> names, else <paramref name="fallback"/>.</summary>
    public static ActivityContext Parse(string? traceparent, ActivityContext fallback = default) =>
        traceparent is not null && ActivityContext.TryParse(traceparent, null, out var context) ? context : fallback;

    // Apart, so the OpenTelemetry assemblies load only in a worker that exports.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IDisposable StartOtlp() => Sdk.CreateTracerProviderBuilder()
        .AddSource(PipelineTracing.SourceName)
        .ConfigureResource(resource => resource.AddService("pipelinehost-worker"))
        .AddOtlpExporter()
        .Build();

    private sealed class Listeners(List<IDisposable> listeners) : IDisposable
    {
        public void Dispose()
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    /// <summary>Appends each stopped span of the source as one JSON line.</summary>
    private sealed class SpanFile : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly Lock _gate = new();

        public SpanFile(string path)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == PipelineTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    var line = new JsonObject
                    {
                        ["name"] = activity.OperationName,
                        ["traceId"] = activity.TraceId.ToHexString(),
                        ["spanId"] = activity.SpanId.ToHexString(),
                        ["parentSpanId"] = activity.ParentSpanId.ToHexString(),
                        ["component"] = activity.GetTagItem("pipelinehost.component.id") as string,
                        ["status"] = activity.Status.ToString(),
                        ["durationMs"] = activity.Duration.TotalMilliseconds,
                    }.ToJsonString() + "\n";
                    lock (_gate)
                    {
                        File.AppendAllText(path, line);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public void Dispose() => _listener.Dispose();
    }
}
