namespace PipelineHost.Engine.Diagnostics;

/// <summary>
/// The one registry of log event ids: every <c>[LoggerMessage]</c> of the engine and the host takes its id from
/// here, so an id names one event server-wide and operators can filter on it (<c>EventId.Id</c> in the compact
/// JSON log). Ranges by area: 1000 tasks, 1100 worker pool, 1200 history, 1300 callbacks, 1400 schedules,
/// 2000 connections, 2100 sessions, 2200 commands, 2300 HTTP, 3200 cluster. A test checks the ids are unique.
/// </summary>
public static class LogEventIds
{
    /// <summary>A task was created.</summary>
    public const int TaskCreated = 1001;

    /// <summary>A task's own worker process started.</summary>
    public const int WorkerStarted = 1002;

    /// <summary>A task reached its final state.</summary>
    public const int TaskEnded = 1003;

    /// <summary>A task was asked to stop.</summary>
    public const int TaskStopping = 1004;

    /// <summary>A task's worker could not be started or did not load the pipeline.</summary>
    public const int TaskStartFailed = 1005;

    /// <summary>A task observer (events, history, callbacks) threw.</summary>
    public const int TaskObserverFailed = 1006;

    /// <summary>A task is restarting with a new pipeline.</summary>
    public const int TaskRestarting = 1007;

    /// <summary>The failed items of an earlier task with the same token could not be removed.</summary>
    public const int FailedItemsNotCleared = 1008;

    /// <summary>A retry task was created for failed items.</summary>
    public const int RetryTaskCreated = 1009;

    /// <summary>A task joined the admission queue.</summary>
    public const int TaskQueued = 1010;

    /// <summary>A queued task expired before it started.</summary>
    public const int TaskExpired = 1011;

    /// <summary>A stopped task did not end in time.</summary>
    public const int TaskStopFailed = 1012;

    /// <summary>A task took a pre-started pool worker.</summary>
    public const int WorkerTaken = 1013;

    /// <summary>Sampling a task's process tree for CPU and memory failed.</summary>
    public const int MetricsSamplingFailed = 1020;

    /// <summary>A pool worker could not start.</summary>
    public const int PoolWorkerStartFailed = 1101;

    /// <summary>A pool worker failed its warm-up.</summary>
    public const int PoolWorkerWarmUpFailed = 1102;

    /// <summary>An idle pool worker exited and is being replaced.</summary>
    public const int IdlePoolWorkerExited = 1103;

    /// <summary>Pool workers keep failing; the pool backs off.</summary>
    public const int PoolBackingOff = 1104;

    /// <summary>A line an idle pool worker printed.</summary>
    public const int IdlePoolWorkerOutput = 1105;

    /// <summary>The worker pool stopped refilling.</summary>
    public const int PoolRefillStopped = 1106;

    /// <summary>A task's history could not be written.</summary>
    public const int HistoryWriteFailed = 1201;

    /// <summary>A task's history arrived after shutdown.</summary>
    public const int HistoryDroppedAfterDispose = 1202;

    /// <summary>History writes succeed again after failures; the kept ones are being written.</summary>
    public const int HistoryWritesResumed = 1204;

    /// <summary>At shutdown a kept history write still failed and is lost.</summary>
    public const int HistoryGaveUp = 1205;

    /// <summary>Tasks had not reported their end when shutdown wrote their history.</summary>
    public const int HistoryTasksStillOpen = 1203;

    /// <summary>A task was running when the host stopped and was marked cancelled at the next start.</summary>
    public const int HistoryInterrupted = 1211;

    /// <summary>Finished tasks past the history retention were deleted.</summary>
    public const int HistoryExpired = 1212;

    /// <summary>Deleting expired history failed.</summary>
    public const int HistorySweepFailed = 1213;

    /// <summary>One callback delivery attempt.</summary>
    public const int CallbackAttempted = 1301;

    /// <summary>A callback delivery failed unexpectedly.</summary>
    public const int CallbackDeliveryFailed = 1302;

    /// <summary>A callback's state could not be stored.</summary>
    public const int CallbackPersistFailed = 1303;

    /// <summary>A pending callback resumed after a restart.</summary>
    public const int CallbackResuming = 1304;

    /// <summary>A pending callback lost its task record.</summary>
    public const int CallbackOrphaned = 1305;

    /// <summary>A deployment was added.</summary>
    public const int DeploymentAdded = 1401;

    /// <summary>A deployment was updated.</summary>
    public const int DeploymentUpdated = 1402;

    /// <summary>A deployment was removed.</summary>
    public const int DeploymentRemoved = 1403;

    /// <summary>A scheduled run started.</summary>
    public const int ScheduledRunStarted = 1404;

    /// <summary>A scheduled run was skipped because the previous one is still active.</summary>
    public const int ScheduledRunSkipped = 1405;

    /// <summary>A scheduled run could not start.</summary>
    public const int ScheduledRunFailed = 1406;

    /// <summary>A scheduled run failed unexpectedly.</summary>
    public const int ScheduledRunCrashed = 1407;

    /// <summary>The scheduler loop failed and retries.</summary>
    public const int SchedulerFailed = 1408;

    /// <summary>A WebSocket connection opened.</summary>
    public const int ConnectionOpened = 2001;

    /// <summary>A WebSocket connection closed.</summary>
    public const int ConnectionClosed = 2002;

    /// <summary>A command was handled (routine: Debug).</summary>
    public const int CommandHandled = 2011;

    /// <summary>A frame could not be read.</summary>
    public const int MalformedFrame = 2012;

    /// <summary>A message the server does not act on was ignored.</summary>
    public const int IgnoredMessage = 2013;

    /// <summary>A connection fell behind and is closed.</summary>
    public const int ConnectionTooSlow = 2014;

    /// <summary>A socket error ended a connection.</summary>
    public const int SocketError = 2015;

    /// <summary>A message over the size limit ended a connection.</summary>
    public const int MessageTooLarge = 2016;

    /// <summary>Cleaning up after a connection failed.</summary>
    public const int ConnectionCleanupFailed = 2017;

    /// <summary>A connection authenticated.</summary>
    public const int Authenticated = 2101;

    /// <summary>An authentication attempt failed.</summary>
    public const int AuthenticationFailed = 2102;

    /// <summary>Too many authentication attempts; the connection closes.</summary>
    public const int TooManyAuthAttempts = 2103;

    /// <summary>A command handler threw.</summary>
    public const int CommandFailed = 2201;

    /// <summary>An HTTP request failed unexpectedly.</summary>
    public const int HttpRequestFailed = 2301;

    /// <summary>An HTTP request failed after its response started.</summary>
    public const int HttpFailedAfterStart = 2302;

    /// <summary>An HTTP client went away mid-request.</summary>
    public const int HttpClientGone = 2303;

    /// <summary>A component plug-in was loaded.</summary>
    public const int PluginLoaded = 2401;

    /// <summary>A component plug-in was refused (it threw, or was built for another interface version).</summary>
    public const int PluginRefused = 2402;

    /// <summary>The data folder has entries other users may read.</summary>
    public const int DataFolderLooseModes = 2403;

    /// <summary>A short API key was accepted because the server listens on loopback only.</summary>
    public const int ShortApiKeyOnLoopback = 2404;

    /// <summary>Cluster mode: a host left the cluster and its open tasks were ended as lost.</summary>
    public const int ClusterHostLost = 3201;

    /// <summary>Cluster mode: the open tasks of a lost host could not be ended.</summary>
    public const int ClusterLostSweepFailed = 3202;
    /// <summary>A task's worker sent nothing for the heartbeat timeout while alive, and was killed.</summary>
    public const int WorkerUnresponsive = 3100;

    /// <summary>A task's worker sent a malformed or unexpected message on its channel, and was killed.</summary>
    public const int WorkerBrokeChannel = 3101;
}
