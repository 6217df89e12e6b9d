namespace PipelineHost.Engine.Metrics;

/// <summary>
/// One reading of a task's process tree (the worker process and all its live descendants).
/// </summary>
/// <param name="Timestamp">
/// Monotonic time of the reading, as elapsed time of the probe's <see cref="TimeProvider"/>. Only differences
/// between two snapshots of the same probe mean anything.
/// </param>
/// <param name="CpuTime">User plus system CPU time consumed so far by the live processes of the tree.</param>
/// <param name="RssBytes">Sum of the resident set sizes of the processes of the tree, in bytes.</param>
public readonly record struct ProcessSnapshot(TimeSpan Timestamp, TimeSpan CpuTime, long RssBytes);
