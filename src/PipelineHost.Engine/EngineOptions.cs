using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Workers;

namespace PipelineHost.Engine;

/// <summary>Engine settings; the host fills them from its own options.</summary>
public sealed record EngineOptions
{
    /// <summary>Where task output folders live (<c>&lt;data&gt;/tasks/&lt;id&gt;</c>).</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "pipelinehost");

    /// <summary>How to start workers.</summary>
    public WorkerLaunchOptions Worker { get; init; } = new();

    /// <summary>
    /// Workers kept started and warmed up ahead of tasks (configuration <c>PipelineHost:WorkerPoolSize</c>), so a
    /// task's start skips process start and JIT; each goes to one task only. 0: every task starts its own worker.
    /// </summary>
    public int WorkerPoolSize { get; init; } = DefaultWorkerPoolSize;

    /// <summary>The default <see cref="WorkerPoolSize"/>: enough for a sequence of launches on a small machine.</summary>
    public const int DefaultWorkerPoolSize = 2;

    /// <summary>Time a stopping worker gets before it is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long finished tasks stay queryable in memory.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long finished tasks stay in the task store (and so readable by token) after they end.</summary>
    public TimeSpan HistoryRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long <c>execute</c> waits for a task to become RUNNING.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A data pipe with no activity this long is closed as failed.</summary>
    public TimeSpan PipeIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A running task's worker that sends nothing on its channel this long while its process lives is killed
    /// (exit reason <c>unresponsive</c>); zero turns the check off.
    /// </summary>
    public TimeSpan WorkerHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Tasks that may be active (hold a worker slot, from leaving the queue until final) at once, host-wide;
    /// further tasks wait in a FIFO queue in state NONE.
    /// </summary>
    public int MaxConcurrentTasks { get; init; } = DefaultMaxConcurrentTasks;

    /// <summary>The default <see cref="MaxConcurrentTasks"/>: four per logical processor.</summary>
    public static int DefaultMaxConcurrentTasks => Environment.ProcessorCount * 4;

    /// <summary>Largest <c>threads</c> a task may ask for (RocketRide leaves it unbounded).</summary>
    public int MaxThreads { get; init; } = 256;

    /// <summary>Folders a <c>filesys</c> source may read.</summary>
    public IReadOnlyList<string> AllowedRoots { get; init; } = [];

    /// <summary>Programs an <c>exec</c> component may run.</summary>
    public IReadOnlyList<string> ExecAllowList { get; init; } = [];

    /// <summary>The components folder whose plug-ins workers load; null: built-ins only.</summary>
    public string? ComponentsDirectory { get; init; }

    /// <summary>How often each running task's worker is sampled for CPU and memory.</summary>
    public TimeSpan MetricsInterval { get; init; } = TaskMetricsSampler.DefaultInterval;

    /// <summary>Billing token rates (configuration section <c>PipelineHost:TokenRates</c>).</summary>
    public TokenRates TokenRates { get; init; } = new();

    /// <summary>
    /// Largest input kept for one failed item, and the most a data-path object is buffered for replaying it on a
    /// retry (a larger object is not retried and its failed item keeps only metadata).
    /// </summary>
    public long FailedItemMaxBytes { get; init; } = Pipelines.Runtime.WorkerStartSettings.DefaultFailedItemMaxBytes;

    /// <summary>Largest total input kept for one task's failed items; beyond it only their metadata is kept.</summary>
    public long FailedTaskMaxBytes { get; init; } = Pipelines.Runtime.WorkerStartSettings.DefaultFailedTaskMaxBytes;

    /// <summary>Most a task's <c>writer</c> components may write in all; over it, the object being written fails.</summary>
    public long TaskOutputMaxBytes { get; init; } = Pipelines.Components.OutputQuota.DefaultTaskMaxBytes;

    /// <summary>Most one object may make a <c>writer</c> write; over it, that object fails.</summary>
    public long ObjectOutputMaxBytes { get; init; } = Pipelines.Components.OutputQuota.DefaultObjectMaxBytes;

    /// <summary>The server's environment, the base for <c>${ROCKETRIDE_*}</c>/<c>${PIPELINEHOST_*}</c> placeholders.</summary>
    public IReadOnlyDictionary<string, string?> ServerEnvironment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Task-end callbacks: signing, retries, which addresses they may reach (<c>PipelineHost:Callbacks</c>).</summary>
    public CallbackOptions Callbacks { get; init; } = new();
}
