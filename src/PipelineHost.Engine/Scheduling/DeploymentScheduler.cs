using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Pipelines.Definition;

namespace PipelineHost.Engine.Scheduling;

/// <summary>
/// Deployments (<c>rrext_deploy_*</c>) and the scheduler that runs them. A deployment is a pipeline kept in the
/// <see cref="ITaskStore"/> with a <see cref="Schedule"/> and a time zone; at each due time (on that zone's wall
/// clock, UTC by default) the scheduler starts
/// it as a task owned by the deployment's creator, unless the task it started last is still active, in which case
/// that due time is skipped and recorded (<c>lastRunSkipped</c>). Due times missed while the host was down are
/// not caught up: at startup every deployment's next due time is computed from the present.
/// </summary>
/// <remarks>
/// The loop waits for the earliest <c>nextRunAt</c> with a timer on the injected <see cref="TimeProvider"/>, and
/// wakes early whenever a deployment changes. All changes, by commands or by the loop, are serialised.
/// </remarks>
public sealed partial class DeploymentScheduler(
    ITaskStore store,
    TaskManager tasks,
    TimeProvider time,
    ILogger<DeploymentScheduler> logger) : BackgroundService
{
    /// <summary>Wait before retrying after the store failed.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _mutex = new(1, 1);

    // The tokens of the runs this host started, by project: the store keeps only their hashes. A run started by an
    // earlier host cannot be active any more (a restart ends every task), so what is not here is not running.
    private readonly ConcurrentDictionary<string, string> _lastTokens = new(StringComparer.Ordinal);
    private readonly Lock _wakeGate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    /// <summary>
    /// Deploys <paramref name="pipeline"/> (kept exactly as sent) on <paramref name="schedule"/> (default <c>manual</c>)
    /// in the IANA zone <paramref name="timeZone"/> (default UTC).
    /// </summary>
    /// <exception cref="TaskException">The caller may not deploy, the pipeline has no <c>project_id</c>, the schedule or time zone is invalid, or the project is deployed already.</exception>
    public async Task<DeploymentRecord> AddAsync(JsonNode? pipeline, string? schedule, string? timeZone, Caller caller, CancellationToken cancellationToken)
    {
        CheckCaller(caller);
        pipeline = FromText(pipeline);
        var projectId = ProjectIdOf(pipeline);
        var parsed = ParseSchedule(schedule);
        var zone = FindZone(timeZone);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var record = new DeploymentRecord
            {
                ProjectId = projectId,
                Pipeline = pipeline!.DeepClone(),
                Schedule = parsed.Text,
                TimeZone = zone.Id,
                CreatedBy = caller.UserId,
                CreatedAt = Seconds(now),
                UpdatedAt = Seconds(now),
                NextRunAt = Next(parsed, zone, now),
            };
            if (!await store.AddDeploymentAsync(record, cancellationToken).ConfigureAwait(false))
            {
                throw new TaskException($"Project '{projectId}' is already deployed; use rrext_deploy_update to change it.");
            }

            Log.Added(logger, projectId, record.Schedule, record.TimeZone);
            return record;
        }
        finally
        {
            _mutex.Release();
            Wake();
        }
    }

    /// <summary>The caller's deployments, oldest first.</summary>
    public async Task<IReadOnlyList<DeploymentRecord>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        CheckCaller(caller);

        // Under the mutex, like a fire: a fire picks the run's token and then stores the record, and a reader in
        // between would pair the stored (previous) record with the new run's token.
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var all = await store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<DeploymentRecord>();
            foreach (var deployment in all.Where(d => Owns(caller, d)))
            {
                list.Add(await RevealAsync(deployment, cancellationToken).ConfigureAwait(false));
            }

            return list;
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The deployment of <paramref name="projectId"/>.</summary>
    /// <exception cref="TaskException">There is none (for this caller).</exception>
    public async Task<DeploymentRecord> GetAsync(string projectId, Caller caller, CancellationToken cancellationToken)
    {
        CheckCaller(caller);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false); // see ListAsync
        try
        {
            var record = await store.GetDeploymentAsync(projectId, cancellationToken).ConfigureAwait(false);
            return record is not null && Owns(caller, record) ? await RevealAsync(record, cancellationToken).ConfigureAwait(false) : throw NotFound(projectId);
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>Replaces the pipeline, the schedule and/or the time zone; the next due time is recomputed from now.</summary>
    /// <exception cref="TaskException">Unknown deployment, a pipeline of another project, or an invalid schedule or time zone.</exception>
    public async Task<DeploymentRecord> UpdateAsync(string projectId, JsonNode? pipeline, string? schedule, string? timeZone, Caller caller, CancellationToken cancellationToken)
    {
        CheckCaller(caller);
        pipeline = FromText(pipeline);
        if (pipeline is not null && ProjectIdOf(pipeline) is var newId && !string.Equals(newId, projectId, StringComparison.Ordinal))
        {
            throw new TaskException($"The pipeline's project_id '{newId}' is not the deployment's '{projectId}'.");
        }

        var parsed = schedule is null ? null : ParseSchedule(schedule);
        var newZone = timeZone is null ? null : FindZone(timeZone);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await store.GetDeploymentAsync(projectId, cancellationToken).ConfigureAwait(false);
            if (current is null || !Owns(caller, current))
            {
                throw NotFound(projectId);
            }

            var now = time.GetUtcNow();
            var effective = parsed ?? Schedule.Parse(current.Schedule);
            var zone = newZone ?? FindZone(current.TimeZone);
            var updated = current with
            {
                Pipeline = pipeline?.DeepClone() ?? current.Pipeline,
                Schedule = effective.Text,
                TimeZone = zone.Id,
                UpdatedAt = Math.Max(Seconds(now), current.UpdatedAt),
                NextRunAt = Next(effective, zone, now),
            };
            if (!await store.UpdateDeploymentAsync(updated, cancellationToken).ConfigureAwait(false))
            {
                throw NotFound(projectId);
            }

            Log.Updated(logger, projectId, updated.Schedule, updated.TimeZone);
            return await RevealAsync(updated, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mutex.Release();
            Wake();
        }
    }

    /// <summary>Pauses (<paramref name="paused"/>) or resumes a deployment; resuming computes the next due time from now.</summary>
    /// <exception cref="TaskException">There is none (for this caller).</exception>
    public Task<DeploymentRecord> SetPausedAsync(string projectId, bool paused, Caller caller, CancellationToken cancellationToken) =>
        ChangeAsync(projectId, caller, (current, now) => current with
        {
            State = paused ? DeploymentRecord.PausedState : DeploymentRecord.ActiveState,
            UpdatedAt = Math.Max(Seconds(now), current.UpdatedAt),
            NextRunAt = paused || !Schedule.TryParse(current.Schedule, out var schedule, out _) ? current.NextRunAt : Next(schedule, FindZone(current.TimeZone), now),
        }, cancellationToken);

    /// <summary>
    /// Starts the deployment's pipeline now, as a due time would (recorded in <c>lastToken</c>), whatever its
    /// schedule or state; its next due time does not move.
    /// </summary>
    /// <exception cref="TaskException">There is none (for this caller), or its last run is still active.</exception>
    public Task<DeploymentRecord> RunNowAsync(string projectId, Caller caller, CancellationToken cancellationToken) =>
        ChangeAsync(projectId, caller, (current, now) =>
        {
            var fired = Fire(current, now) with { NextRunAt = current.NextRunAt };
            return fired.LastRunSkipped == true
                ? throw new TaskException($"The last run of '{projectId}' is still active.")
                : fired;
        }, cancellationToken);

    private async Task<DeploymentRecord> ChangeAsync(string projectId, Caller caller, Func<DeploymentRecord, DateTimeOffset, DeploymentRecord> change, CancellationToken cancellationToken)
    {
        CheckCaller(caller);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await store.GetDeploymentAsync(projectId, cancellationToken).ConfigureAwait(false);
            if (current is null || !Owns(caller, current))
            {
                throw NotFound(projectId);
            }

            var updated = change(current, time.GetUtcNow());
            return await store.UpdateDeploymentAsync(updated, cancellationToken).ConfigureAwait(false)
                ? await RevealAsync(updated, cancellationToken).ConfigureAwait(false)
                : throw NotFound(projectId);
        }
        finally
        {
            _mutex.Release();
            Wake();
        }
    }

    /// <summary>Removes a deployment. A task it started keeps running.</summary>
    /// <exception cref="TaskException">There is none (for this caller).</exception>
    public async Task RemoveAsync(string projectId, Caller caller, CancellationToken cancellationToken)
    {
        CheckCaller(caller);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await store.GetDeploymentAsync(projectId, cancellationToken).ConfigureAwait(false);
            if (current is null || !Owns(caller, current) || !await store.RemoveDeploymentAsync(projectId, cancellationToken).ConfigureAwait(false))
            {
                throw NotFound(projectId);
            }

            _lastTokens.TryRemove(projectId, out _);
            Log.Removed(logger, projectId);
        }
        finally
        {
            _mutex.Release();
            Wake();
        }
    }

    /// <summary>Recomputes every deployment's next due time, before the server accepts requests, then starts the loop.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RescheduleAllAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Taken before looking at the deployments: a change made after this point wakes the wait below.
                var woken = TakeWake();
                DateTimeOffset? next;
                try
                {
                    next = await RunDueAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    Log.LoopFailed(logger, ex);
                    next = time.GetUtcNow() + RetryDelay;
                }

                if (next is not { } due)
                {
                    await woken.WaitAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                var delay = due - time.GetUtcNow();
                if (delay <= TimeSpan.Zero)
                {
                    continue;
                }

                using var timer = time.CreateTimer(_ => Wake(), null, delay, Timeout.InfiniteTimeSpan);

                // The clock may have passed the due time between reading it and arming the timer.
                if (time.GetUtcNow() >= due)
                {
                    continue;
                }

                await woken.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        base.Dispose();
        _mutex.Dispose();
    }

    /// <summary>At startup: every deployment's next due time from now (runs missed while down are not caught up).</summary>
    private async Task RescheduleAllAsync(CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            foreach (var deployment in await store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false))
            {
                var next = NextOf(deployment, now);
                if (next != deployment.NextRunAt)
                {
                    await store.UpdateDeploymentAsync(deployment with { NextRunAt = next }, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>Starts (or skips) every deployment that is due; returns the earliest next due time.</summary>
    private async Task<DateTimeOffset?> RunDueAsync(CancellationToken cancellationToken)
    {
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var nowSeconds = Seconds(now);
            double? earliest = null;
            foreach (var deployment in await store.ListDeploymentsAsync(cancellationToken).ConfigureAwait(false))
            {
                var current = deployment;
                if (current.State == DeploymentRecord.ActiveState && current.NextRunAt is { } due && due <= nowSeconds)
                {
                    current = Fire(current, now);
                    await store.UpdateDeploymentAsync(current, cancellationToken).ConfigureAwait(false);
                }

                if (current.State == DeploymentRecord.ActiveState && current.NextRunAt is { } next && (earliest is null || next < earliest))
                {
                    earliest = next;
                }
            }

            return earliest is { } e ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(e * 1000)) : null;
        }
        finally
        {
            _mutex.Release();
        }
    }

    private DeploymentRecord Fire(DeploymentRecord deployment, DateTimeOffset now)
    {
        var next = NextOf(deployment, now);
        if ((deployment.LastToken ?? _lastTokens.GetValueOrDefault(deployment.ProjectId)) is { } previous
            && tasks.Tasks.FirstOrDefault(t => t.Token == previous && !t.State.IsTerminal()) is { } active)
        {
            Log.Skipped(logger, deployment.ProjectId, active.Id);
            return deployment with { LastRunAt = Seconds(now), LastRunSkipped = true, NextRunAt = next };
        }

        // The token is chosen here so the record names the run before it has even started.
        var token = TaskIdentity.NewToken();
        _lastTokens[deployment.ProjectId] = token;
        var owner = Caller.ForApiKey() with { UserId = deployment.CreatedBy };
        var launch = tasks.ExecuteAsync(new ExecuteRequest(deployment.Pipeline.DeepClone()) { Token = token }, owner, _stopping);
        _ = ObserveLaunchAsync(deployment.ProjectId, token, launch);
        return deployment with { LastRunAt = Seconds(now), LastToken = token, LastRunSkipped = false, LastError = null, NextRunAt = next };
    }

    private async Task ObserveLaunchAsync(string projectId, string token, Task<PipelineTask> launch)
    {
        try
        {
            var task = await launch.ConfigureAwait(false);
            Log.Started(logger, projectId, task.Id);
        }
        catch (TaskException ex)
        {
            Log.LaunchFailed(logger, projectId, ex.Message);
            await RecordErrorAsync(projectId, token, ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host is stopping.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.LaunchCrashed(logger, projectId, ex);
            await RecordErrorAsync(projectId, token, "The scheduled run could not start").ConfigureAwait(false);
        }
    }

    private async Task RecordErrorAsync(string projectId, string token, string message)
    {
        try
        {
            await _mutex.WaitAsync(_stopping).ConfigureAwait(false);
            try
            {
                if (_lastTokens.GetValueOrDefault(projectId) == token && await store.GetDeploymentAsync(projectId, _stopping).ConfigureAwait(false) is { } current)
                {
                    await store.UpdateDeploymentAsync(current with { LastError = message }, _stopping).ConfigureAwait(false);
                }
            }
            finally
            {
                _mutex.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.LoopFailed(logger, ex);
        }
    }

    /// <summary>
    /// The record as a caller sees it: the last run's token while this host started it (the store has only its hash),
    /// and its short id while the task is in memory or in the history.
    /// </summary>
    private async Task<DeploymentRecord> RevealAsync(DeploymentRecord record, CancellationToken cancellationToken)
    {
        var token = record.LastToken
            ?? (record.LastTokenHash is not null && _lastTokens.TryGetValue(record.ProjectId, out var known) ? known : null);
        var id = (token is null ? null : tasks.Tasks.FirstOrDefault(t => t.Token == token)?.Id)
            ?? (record.LastTokenHash is { } hash ? (await store.FindTaskByHashAsync(hash, cancellationToken).ConfigureAwait(false))?.Id : null);
        return record with { LastToken = token, LastTaskId = id };
    }

    private Task TakeWake()
    {
        lock (_wakeGate)
        {
            if (_wake.Task.IsCompleted)
            {
                _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return _wake.Task;
        }
    }

    private void Wake()
    {
        lock (_wakeGate)
        {
            _wake.TrySetResult();
        }
    }

    private static void CheckCaller(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsTaskScoped)
        {
            throw new TaskException("Permission 'task.control' denied: a task credential cannot manage deployments");
        }
    }

    private static bool Owns(Caller caller, DeploymentRecord deployment) =>
        string.Equals(deployment.CreatedBy, caller.UserId, StringComparison.Ordinal);

    private static TaskException NotFound(string projectId) => new($"Deployment '{projectId}' not found");

    /// <summary>
    /// A pipeline sent as the text of a <c>.pipe</c> file (JSON5), as the dashboard does, is kept as the object it
    /// holds, so the record shows and runs it like one sent as JSON.
    /// </summary>
    private static JsonNode? FromText(JsonNode? pipeline)
    {
        if (pipeline is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return pipeline;
        }

        try
        {
            return PipelineDocument.Unwrap(pipeline);
        }
        catch (FormatException ex)
        {
            throw new TaskException(ex.Message);
        }
    }

    private static string ProjectIdOf(JsonNode? pipeline)
    {
        if (pipeline is null)
        {
            throw new TaskException("Argument 'pipeline' is required.");
        }

        JsonObject flat;
        try
        {
            flat = PipelineDocument.Unwrap(pipeline);
        }
        catch (FormatException ex)
        {
            throw new TaskException(ex.Message);
        }

        return flat["project_id"] is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } id
            ? id
            : throw new TaskException("The pipeline needs a 'project_id' to be deployed.");
    }

    private static Schedule ParseSchedule(string? text) =>
        text is null ? Schedule.Manual
        : Schedule.TryParse(text, out var schedule, out var error) ? schedule
        : throw new TaskException(error);

    private static TimeZoneInfo FindZone(string? timeZone) =>
        ScheduleTimeZone.TryFind(timeZone, out var zone, out var error) ? zone : throw new TaskException(error);

    private static double? Next(Schedule schedule, TimeZoneInfo zone, DateTimeOffset now) =>
        schedule.NextOccurrence(now, zone) is { } next ? Seconds(next) : null;

    /// <summary>A stored deployment's next due time; null when its schedule or zone no longer parses (e.g. a zone this host lacks).</summary>
    private static double? NextOf(DeploymentRecord deployment, DateTimeOffset now) =>
        Schedule.TryParse(deployment.Schedule, out var schedule, out _) && ScheduleTimeZone.TryFind(deployment.TimeZone, out var zone, out _)
            ? Next(schedule, zone, now)
            : null;

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.DeploymentAdded, LogLevel.Information, "Deployed project {ProjectId} on schedule '{Schedule}' ({TimeZone})")]
        public static partial void Added(ILogger logger, string projectId, string schedule, string timeZone);

        [LoggerMessage(LogEventIds.DeploymentUpdated, LogLevel.Information, "Deployment {ProjectId} updated; schedule '{Schedule}' ({TimeZone})")]
        public static partial void Updated(ILogger logger, string projectId, string schedule, string timeZone);

        [LoggerMessage(LogEventIds.DeploymentRemoved, LogLevel.Information, "Deployment {ProjectId} removed")]
        public static partial void Removed(ILogger logger, string projectId);

        [LoggerMessage(LogEventIds.ScheduledRunStarted, LogLevel.Information, "Deployment {ProjectId}: scheduled run started (task {TaskId})")]
        public static partial void Started(ILogger logger, string projectId, string taskId);

        [LoggerMessage(LogEventIds.ScheduledRunSkipped, LogLevel.Warning, "Deployment {ProjectId}: skipped a scheduled run because the previous run (task {TaskId}) is still active")]
        public static partial void Skipped(ILogger logger, string projectId, string taskId);

        [LoggerMessage(LogEventIds.ScheduledRunFailed, LogLevel.Warning, "Deployment {ProjectId}: the scheduled run could not start: {Message}")]
        public static partial void LaunchFailed(ILogger logger, string projectId, string message);

        [LoggerMessage(LogEventIds.ScheduledRunCrashed, LogLevel.Error, "Deployment {ProjectId}: the scheduled run failed unexpectedly")]
        public static partial void LaunchCrashed(ILogger logger, string projectId, Exception exception);

        [LoggerMessage(LogEventIds.SchedulerFailed, LogLevel.Error, "The deployment scheduler failed; retrying")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
