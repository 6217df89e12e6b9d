using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Dashboard;

/// <summary>
/// Counts task changes the overview shows (status and lifecycle events), so <see cref="DashboardFeed"/> builds a
/// snapshot only when something changed. Separate from the feed because the task manager needs its observers
/// before the feed can have the task manager.
/// </summary>
public sealed class DashboardChanges : ITaskObserver
{
    private long _count;

    /// <summary>Changes seen since the start.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <inheritdoc />
    public void OnTaskEvent(TaskEvent taskEvent)
    {
        if (taskEvent is TaskStatusChanged or TaskLifecycle)
        {
            Interlocked.Increment(ref _count);
        }
    }
}
