using System.Globalization;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// Liveness (protocol-spec/worker-ipc.md §5): a task's worker sends a heartbeat on its channel; one that sends
/// nothing for <see cref="EngineOptions.WorkerHeartbeatTimeout"/> while its process lives (frozen, stopped,
/// deadlocked) is killed, and its task ends CANCELLED with exit reason <c>unresponsive</c>.
/// </summary>
public sealed partial class TaskManager
{
    /// <summary>How often a worker says it is alive: four times per timeout, at least once a second.</summary>
    private TimeSpan HeartbeatInterval => _options.WorkerHeartbeatTimeout <= TimeSpan.Zero
        ? TimeSpan.Zero
        : TimeSpan.FromTicks(Math.Min(_options.WorkerHeartbeatTimeout.Ticks / 4, TimeSpan.TicksPerSecond));

    // On the real clock, like the workers' own silence (WorkerChannel.Clock), whatever clock the engine's schedules
    // and limits run on: a test that moves a fake clock by an hour has not frozen its workers.
    private static ITimer StartLivenessChecks(TimeSpan period, Action check) => period > TimeSpan.Zero
        ? TimeProvider.System.CreateTimer(_ => check(), null, period, period)
        : TimeProvider.System.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    private void CheckLiveness()
    {
        var timeout = _options.WorkerHeartbeatTimeout;
        foreach (var task in _tasks.Values)
        {
            // From its start on (Initializing): before it the worker has not been asked for heartbeats. A stopping
            // task's worker is killed after the stop grace anyway.
            if (task.State is not (TaskState.Initializing or TaskState.Running) || task.Worker is not { } worker || !worker.IsAlive
                || worker.Channel.Clock.GetElapsedTime(worker.Channel.LastHeard) < timeout)
            {
                continue;
            }

            var reason = string.Create(CultureInfo.InvariantCulture, $"Stopped: the worker did not answer for {timeout.TotalSeconds:0.###} s (unresponsive)");
            if (task.RequestStop(reason, ExitReason.Unresponsive))
            {
                LivenessLog.Unresponsive(_logger, task.Id, worker.ProcessId, timeout.TotalSeconds);
                task.SetStatusText("Stopping");
                Notify(new TaskStatusChanged(task, false));

                // No stop request: it would not be read. MonitorExitAsync ends the task once the process is gone.
                worker.Kill();
            }
        }
    }

    private static partial class LivenessLog
    {
        [LoggerMessage(LogEventIds.WorkerUnresponsive, LogLevel.Warning, "Task {TaskId} worker (pid {Pid}) sent nothing for {TimeoutSeconds} s while alive; killed it")]
        public static partial void Unresponsive(ILogger logger, string taskId, int pid, double timeoutSeconds);

        [LoggerMessage(LogEventIds.WorkerBrokeChannel, LogLevel.Warning, "Task {TaskId} worker (pid {Pid}) broke the channel protocol and was killed: it sent {Violation}")]
        public static partial void BrokeChannel(ILogger logger, string taskId, int pid, string violation);
    }
}
