using System.Diagnostics.Metrics;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Diagnostics;

/// <summary>
/// The server's instruments, all in one <see cref="Meter"/> named <see cref="MeterName"/> (exported by
/// OpenTelemetry: Prometheus text at <c>GET /metrics</c>, OTLP when configured). Counters are cheap on the hot path
/// (nothing is recorded when nobody listens); the gauges are read from the task registry only when collected.
/// </summary>
public sealed class PipelineHostMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "PipelineHost";

    private readonly Meter _meter;
    private readonly Counter<long> _launches;
    private readonly Histogram<double> _launchDuration;
    private readonly Counter<long> _dataBytes;
    private readonly Counter<double> _billingTokens;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (disposed with it).</summary>
    public PipelineHostMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _launches = _meter.CreateCounter<long>("pipelinehost.task.launches", "{task}", "Task starts that got a worker (tag pooled: a pre-started worker or a new one).");
        _launchDuration = _meter.CreateHistogram<double>(
            "pipelinehost.task.launch.duration",
            "s",
            "From a task leaving the queue to RUNNING: worker start or hand-over, and loading the pipeline.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _dataBytes = _meter.CreateCounter<long>("pipelinehost.data.bytes", "By", "Data path bytes (tag direction: in, object bytes written to tasks' pipes; out, the workers' answers to them, results included).");
        _billingTokens = _meter.CreateCounter<double>("pipelinehost.billing.tokens", "{token}", "Billing tokens of tasks that ended (tag kind: cpu_utilization, cpu_memory, gpu_memory, gpu_inference, custom).");
    }

    /// <summary>Publishes the gauges read from <paramref name="tasks"/> (states, queue, workers' CPU and memory).</summary>
    public void ObserveTasks(TaskManager tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        _meter.CreateObservableGauge("pipelinehost.tasks", () => CountByState(tasks), "{task}", "Tasks in memory by state (tag state).");
        _meter.CreateObservableGauge("pipelinehost.queue.depth", () => tasks.QueueStats.QueueDepth, "{task}", "Tasks waiting for a slot.");
        _meter.CreateObservableGauge("pipelinehost.tasks.active", () => tasks.QueueStats.Active, "{task}", "Tasks holding a slot (from leaving the queue until final).");
        _meter.CreateObservableGauge("pipelinehost.workers.idle", () => tasks.IdleWorkers, "{worker}", "Pre-started pool workers waiting for a task.");
        _meter.CreateObservableGauge("pipelinehost.worker.cpu.usage", () => Sum(tasks, m => m.CpuPercent), "%", "CPU of all running tasks' process trees, percent of the whole machine.");
        _meter.CreateObservableGauge("pipelinehost.worker.memory.usage", () => Sum(tasks, m => m.CpuMemoryMb) * 1024 * 1024, "By", "Memory of all running tasks' process trees.");
    }

    /// <summary>Publishes event delivery counts kept elsewhere (the host's connections).</summary>
    public void ObserveEvents(Func<long> sent, Func<long> coalesced, Func<long> dropped)
    {
        _meter.CreateObservableCounter("pipelinehost.events.sent", sent, "{event}", "Events written to connections.");
        _meter.CreateObservableCounter("pipelinehost.events.coalesced", coalesced, "{event}", "Queued status updates replaced by a newer one before they were written.");
        _meter.CreateObservableCounter("pipelinehost.events.dropped", dropped, "{event}", "Events refused because their connection fell hopelessly behind.");
    }

    internal void TaskLaunched(bool pooled) => _launches.Add(1, new KeyValuePair<string, object?>("pooled", pooled));

    internal void TaskRunning(TimeSpan launchDuration) => _launchDuration.Record(launchDuration.TotalSeconds);

    internal void DataIn(int bytes) => _dataBytes.Add(bytes, new KeyValuePair<string, object?>("direction", "in"));

    internal void DataOut(int bytes) => _dataBytes.Add(bytes, new KeyValuePair<string, object?>("direction", "out"));

    internal void TaskBilled(TaskTokens tokens)
    {
        Bill("cpu_utilization", tokens.CpuUtilization);
        Bill("cpu_memory", tokens.CpuMemory);
        Bill("gpu_memory", tokens.GpuMemory);
        Bill("gpu_inference", tokens.GpuInference);
        Bill("custom", tokens.Custom.Values.Sum());
    }

    private void Bill(string kind, double tokens)
    {
        if (tokens > 0)
        {
            _billingTokens.Add(tokens, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    private static IEnumerable<Measurement<int>> CountByState(TaskManager tasks)
    {
        var counts = new int[Enum.GetValues<TaskState>().Length];
        foreach (var task in tasks.Tasks)
        {
            counts[(int)task.State]++;
        }

        return Enum.GetValues<TaskState>().Select(state =>
            new Measurement<int>(counts[(int)state], new KeyValuePair<string, object?>("state", StateNames[(int)state])));
    }

    private static readonly string[] StateNames = Enum.GetValues<TaskState>().Select(s => s.ToString().ToLowerInvariant()).ToArray();

    private static double Sum(TaskManager tasks, Func<TaskMetrics, double> figure) =>
        tasks.Tasks.Where(t => t.Sampler is { IsRunning: true }).Sum(t => figure(t.Sampler!.Metrics));
}
