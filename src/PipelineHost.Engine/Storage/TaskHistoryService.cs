using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// The history's life cycle around the host's: at startup, before the server accepts requests, it migrates
/// the store and ends the tasks a previous host left running (see <see cref="InterruptedMessage"/>); while the
/// host runs it deletes finished tasks older than <see cref="EngineOptions.HistoryRetention"/>; at shutdown it
/// flushes the recorder.
/// </summary>
public sealed partial class TaskHistoryService(
    ITaskStore store,
    TaskHistoryRecorder recorder,
    EngineOptions options,
    TimeProvider time,
    ILogger<TaskHistoryService> logger) : IHostedService, IAsyncDisposable
{
    /// <summary>The exit message of a task that was running when its host died.</summary>
    public const string InterruptedMessage = "The host stopped while the task was running";

    private readonly SemaphoreSlim _sweeping = new(1, 1);
    private ITimer? _timer;

    /// <summary>How often expired history is deleted: a tenth of the retention, between a minute and an hour.</summary>
    public TimeSpan SweepInterval => TimeSpan.FromTicks(Math.Clamp(options.HistoryRetention.Ticks / 10, TimeSpan.TicksPerMinute, TimeSpan.TicksPerHour));

    /// <summary>Migrates the store, recovers interrupted tasks, deletes expired ones and starts the sweep timer.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var interrupted = await store.MarkInterruptedAsync(InterruptedMessage, Now(), cancellationToken).ConfigureAwait(false);
        foreach (var record in interrupted)
        {
            Log.Interrupted(logger, record.Id, record.ProjectId);
        }

        await SweepAsync(cancellationToken).ConfigureAwait(false);
        _timer = time.CreateTimer(_ => _ = SweepInBackgroundAsync(), null, SweepInterval, SweepInterval);
    }

    /// <summary>Stops the sweep and writes everything the recorder has queued.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes finished tasks that ended more than the retention ago; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deleted = await store.DeleteExpiredAsync(Now() - options.HistoryRetention.TotalSeconds, cancellationToken).ConfigureAwait(false);
            if (deleted > 0)
            {
                Log.Expired(logger, deleted);
            }

            return deleted;
        }
        finally
        {
            _sweeping.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_timer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        _sweeping.Dispose();
    }

    private async Task SweepInBackgroundAsync()
    {
        try
        {
            await SweepAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.SweepFailed(logger, ex);
        }
    }

    private double Now() => time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.HistoryInterrupted, LogLevel.Warning, "Task {TaskId} (project {ProjectId}) was running when the host stopped; marked cancelled")]
        public static partial void Interrupted(ILogger logger, string taskId, string projectId);

        [LoggerMessage(LogEventIds.HistoryExpired, LogLevel.Information, "Deleted {Count} finished tasks past the history retention")]
        public static partial void Expired(ILogger logger, int count);

        [LoggerMessage(LogEventIds.HistorySweepFailed, LogLevel.Error, "Deleting expired task history failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
