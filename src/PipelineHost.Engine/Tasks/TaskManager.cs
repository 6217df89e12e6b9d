using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Workers;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// The registry of tasks and every operation on them: start, stop, restart, status, and the data path. Each
/// task runs in its own worker process; a worker that crashes ends only its own task.
/// </summary>
public sealed partial class TaskManager : ITaskCredentialResolver, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PipelineTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PipelineTask> _byPublicKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _creationLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Token, int PipeId), HostPipe> _pipes = new();
    private readonly EngineOptions _options;
    private readonly ComponentCatalog _catalog;
    private readonly PipelineValidator _validator;
    private readonly TimeProvider _time;
    private readonly ILogger<TaskManager> _logger;
    private readonly ITaskObserver[] _observers;
    private readonly ITimer _housekeeping;
    private readonly ITimer _liveness;
    private readonly IProcessTreeProbe _processProbe;
    private readonly IGpuMemoryProbe _gpuProbe;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ITaskStore? _store;
    private readonly AdmissionQueue<PipelineTask> _admission;
    private readonly WorkerPool? _pool;
    private readonly PipelineHostMetrics? _metrics;
    private readonly LaunchRate _launchRate;

    /// <summary>
    /// Creates the manager; with a <paramref name="store"/>, lookups of tasks no longer in memory fall back to it;
    /// with <paramref name="metrics"/>, it records launches, data bytes and tokens there and publishes its gauges.
    /// </summary>
    public TaskManager(EngineOptions options, ComponentCatalog catalog, TimeProvider time, ILogger<TaskManager> logger, IEnumerable<ITaskObserver> observers, ITaskStore? store = null, PipelineHostMetrics? metrics = null)
    {
        _store = store;
        _metrics = metrics;
        _launchRate = new LaunchRate(time);
        _options = options;
        _catalog = catalog;
        _validator = new PipelineValidator(catalog);
        _time = time;
        _logger = logger;
        _observers = observers.ToArray();
        _processProbe = ProcessTreeProbe.CreateDefault(time);
        _gpuProbe = GpuMemoryProbe.CreateDefault();
        _admission = new AdmissionQueue<PipelineTask>(options.MaxConcurrentTasks, time, Admit, Expire, task => Notify(new TaskStatusChanged(task, false)));
        _housekeeping = time.CreateTimer(_ => Housekeeping(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        _liveness = StartLivenessChecks(HeartbeatInterval, CheckLiveness);
        if (options.WorkerPoolSize > 0)
        {
            _pool = new WorkerPool(options.WorkerPoolSize, options.Worker, options.StartTimeout, time, logger);
            _pool.Start();
        }

        metrics?.ObserveTasks(this);
    }

    /// <summary>Host-wide: tasks waiting for a slot, and tasks holding one (from leaving the queue until final).</summary>
    public QueueStats QueueStats => _admission.Stats;
    /// <summary>
    /// Pre-started workers waiting for a task (<see cref="EngineOptions.WorkerPoolSize"/>). They are not tasks and
    /// count toward no limit on running tasks.
    /// </summary>
    public int IdleWorkers => _pool?.IdleCount ?? 0;

    /// <summary>
    /// True when a task's worker can be handed over at once: the pool is off (each task starts its own), or it has
    /// warmed up and is not failing to start workers.
    /// </summary>
    public bool WorkerPoolWarm => _pool?.IsWarm ?? true;

    /// <summary>The worker pool; null when <see cref="EngineOptions.WorkerPoolSize"/> is 0.</summary>
    internal WorkerPool? Pool => _pool;

    /// <summary>Every known task (running and retained), in no particular order.</summary>
    public IEnumerable<PipelineTask> Tasks => _tasks.Values;

    /// <summary>The catalogue tasks are validated against.</summary>
    public ComponentCatalog Catalog => _catalog;

    /// <summary>Validates a pipeline as <c>execute</c> would, resolving placeholders first.</summary>
    public ValidationResult Validate(JsonNode? pipeline, string? source, JsonObject? environment) =>
        ValidateResolved(_validator, Unwrap(pipeline), source, environment, ValidationEnvironment()).Resolved;

    /// <summary>
    /// The one order for validate, execute, restart and retry: placeholders resolved, then validated, and a
    /// placeholder nothing gave a value is an error naming it (first, as it explains the errors it causes).
    /// <c>AsWritten</c> is the normalised pipeline with its placeholders as submitted: what a task keeps, so
    /// substituted values never reach the store.
    /// </summary>
    private (ValidationResult Resolved, JsonObject AsWritten) ValidateResolved(
        PipelineValidator validator, JsonObject flat, string? source, JsonObject? callerEnvironment, ComponentEnvironment environment)
    {
        var resolved = PlaceholderResolver.Resolve(flat, PlaceholderResolver.MergeEnvironment(_options.ServerEnvironment, callerEnvironment));
        var result = validator.Validate(resolved, source, environment);
        var unset = PlaceholderResolver.Unresolved(resolved);
        if (unset.Count > 0)
        {
            result = result with { Errors = [.. unset.Select(n => new ValidationIssue(PlaceholderResolver.UnsetMessage(n))), .. result.Errors], Definition = null };
        }

        return (result, validator.Validate(flat, source).Normalized);
    }

    /// <summary>
    /// Starts a task and waits until it is RUNNING, or, when it has to queue (every one of
    /// <see cref="EngineOptions.MaxConcurrentTasks"/> slots is taken) and <see cref="ExecuteRequest.Wait"/> is
    /// false, returns it at once still queued. <see cref="LaunchAsync"/> also tells which happened.
    /// </summary>
    public async Task<PipelineTask> ExecuteAsync(ExecuteRequest request, Caller caller, CancellationToken cancellationToken) =>
        (await LaunchAsync(request, caller, cancellationToken).ConfigureAwait(false)).Task
            ?? throw new TaskException("The task of this idempotency key has ended and left memory");

    /// <summary>
    /// Starts a task: it takes a worker slot at once, or joins the host's FIFO queue. Returns once it is RUNNING,
    /// or at once with its queue position when it is queued and <see cref="ExecuteRequest.Wait"/> is false.
    /// <see cref="EngineOptions.StartTimeout"/> counts from leaving the queue. With
    /// <see cref="ExecuteRequest.UseExisting"/>, concurrent calls with one token all get the one task (queued or not).
    /// </summary>
    public async Task<TaskLaunch> LaunchAsync(ExecuteRequest request, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsTaskScoped)
        {
            throw new PermissionDeniedException("Permission 'task.control' denied: a task credential cannot start tasks");
        }

        var (validation, pipeline) = ValidateResolved(_validator, Unwrap(request.Pipeline), request.Source, request.Environment, ValidationEnvironment());
        if (!validation.IsValid)
        {
            throw new TaskException(validation.Errors[0].Message);
        }

        // "The same pipeline" is the pipeline as submitted, before a missing project_id is made up below.
        var keyed = request.IdempotencyKey is { } idempotencyKey ? (Key: IdempotencyKeys.Check(idempotencyKey), PipelineHash: StoredHash.Of(pipeline.ToJsonString())) : default;
        if (pipeline["project_id"] is not JsonValue projectValue || projectValue.GetValueKind() != JsonValueKind.String)
        {
            pipeline["project_id"] = Guid.NewGuid().ToString("D");
        }

        var options = ReadOptions(request, pipeline) is var read && read.Retry is null ? read with { Retry = validation.Definition!.Retry } : read;
        var callbackUrl = request.CallbackUrl is { Length: > 0 } url ? CallbackUrl.Parse(url, _options.Callbacks.AllowPrivateNetworks) : null;
        var token = request.Token is { Length: > 0 } chosen ? CheckToken(chosen) : TaskIdentity.NewToken();
        var gate = _creationLocks.GetOrAdd(token, _ => new SemaphoreSlim(1, 1));
        PipelineTask task;
        var created = false;
        var claim = keyed.Key is { } key ? new IdempotencyRecord(caller.UserId, key, keyed.PipelineHash, token, Now(), TaskIdentity.NewPublicKey()) : null;
        if (claim is not null)
        {
            await _idempotencyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (claim is not null && await ClaimOrReplayAsync(claim, cancellationToken).ConfigureAwait(false) is { } replay)
            {
                return replay;
            }

            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (_tasks.TryGetValue(token, out var existing) && !existing.State.IsTerminal())
                    {
                        if (!request.UseExisting)
                        {
                            throw new TaskException("Pipeline is already running.");
                        }

                        task = existing;
                    }
                    else
                    {
                        task = Register(token, pipeline, validation.Definition!, options, request.Name, caller, request.Environment, publicKey: claim?.PublicKey);
                        if (callbackUrl is not null)
                        {
                            // Before "begin": the callback dispatcher takes the delivery on from that event.
                            task.SetCallback(CallbackRecord.Create(task.Token, task.StartTime, callbackUrl));
                        }

                        created = true;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }
            catch when (claim is not null)
            {
                await ReleaseClaimAsync(claim).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            if (claim is not null)
            {
                _idempotencyGate.Release();
            }
        }

        if (created)
        {
            Log.TaskCreated(_logger, task.Id);
            Notify(new TaskLifecycle(task, "begin"));
            if (_admission.Enter(task, task.Options.Expires))
            {
                Admit(task);
            }
            else
            {
                Log.Queued(_logger, task.Id, task.QueuePosition);
                Notify(new TaskStatusChanged(task, false));
            }
        }

        if (!request.Wait && task.QueuePosition is > 0 and var position)
        {
            return new TaskLaunch(task, position);
        }

        await WaitUntilRunningAsync(task, cancellationToken).ConfigureAwait(false);
        return new TaskLaunch(task, 0);
    }

    /// <summary>
    /// The task <paramref name="token"/> names, if <paramref name="caller"/> may do <paramref name="permission"/>
    /// on it. A task credential always means its own task, whatever token is passed (as the reference does).
    /// </summary>
    public PipelineTask GetTask(string? token, Caller caller, Permissions permission)
    {
        PipelineTask? task;
        if (caller.TaskToken is { } own)
        {
            _tasks.TryGetValue(own, out task);
        }
        else
        {
            if (string.IsNullOrEmpty(token))
            {
                throw new TaskException("Task token is required");
            }

            task = Find(token);
        }

        if (task is null)
        {
            throw new TaskNotFoundException();
        }

        if (!caller.CanAccess(task.Token, permission))
        {
            throw new PermissionDeniedException($"Permission '{PermissionName(permission)}' denied");
        }

        return task;
    }

    /// <summary>
    /// The task in memory that <paramref name="token"/> names, if <paramref name="caller"/> may watch it; null
    /// otherwise (unknown, left memory, or not the caller's): for waits that fall back to a plain lookup.
    /// </summary>
    public PipelineTask? FindLiveTask(string? token, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        try
        {
            return GetTask(token, caller, Permissions.Monitor);
        }
        catch (TaskException)
        {
            return null;
        }
    }

    /// <summary>The newest task of <paramref name="projectId"/>/<paramref name="source"/>, running ones first.</summary>
    public PipelineTask? FindByProject(string projectId, string source) => _tasks.Values
        .Where(t => t.Identity.ProjectId == projectId && t.Identity.Source == source)
        .OrderBy(t => t.State.IsTerminal())
        .ThenByDescending(t => t.StartTime)
        .FirstOrDefault();

    /// <inheritdoc />
    public Caller? Resolve(string credential)
    {
        if (credential.StartsWith("pk_", StringComparison.Ordinal) && _byPublicKey.TryGetValue(credential, out var byKey))
        {
            return new Caller(CredentialKind.PublicKey, byKey.Identity.UserId, Permissions.Data, byKey.Token);
        }

        return credential.StartsWith("tk_", StringComparison.Ordinal) && _tasks.TryGetValue(credential, out var task)
            ? new Caller(CredentialKind.TaskToken, task.Identity.UserId, Permissions.Control | Permissions.Data | Permissions.Monitor | Permissions.Store, task.Token)
            : null;
    }

    /// <summary>
    /// Stops a task (graceful, then killed after the grace) and waits for its final state. A queued task is
    /// taken out of the queue and ends CANCELLED at once, never having started a worker.
    /// </summary>
    public Task TerminateAsync(PipelineTask task, string reason, CancellationToken cancellationToken) =>
        TerminateAsync(task, reason, ExitReason.Cancelled, cancellationToken);

    private async Task TerminateAsync(PipelineTask task, string reason, ExitReason exitReason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.RequestStop(reason, exitReason))
        {
            Log.Stopping(_logger, task.Id, reason);
            if (_admission.TryWithdraw(task))
            {
                End(task, TaskState.Cancelled, "Stopped", 0, reason, exitReason);
            }
            else
            {
                task.SetStatusText("Stopping");
                Notify(new TaskStatusChanged(task, false));
                if (task.Worker is { } worker)
                {
                    _ = worker.StopAsync(_options.StopGrace);
                }
            }
        }

        await task.Ended.WaitAsync(_options.StopGrace + TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
    }

    // For the engine's own stops (ttl, timeout): nobody awaits them, so their failures are logged here.
    private async Task StopInBackgroundAsync(PipelineTask task, string reason, ExitReason exitReason)
    {
        try
        {
            await TerminateAsync(task, reason, exitReason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Log.StopFailed(_logger, task.Id, ex);
        }
    }

    // The queue gave the task a slot (at once, or when one freed): it starts now.
    private void Admit(PipelineTask task)
    {
        if (!task.MarkStarted(_time.GetUtcNow()))
        {
            return;
        }

        _launchRate.Record(_time.GetUtcNow());

        if (task.StopRequested)
        {
            // Stopped in the moment between leaving the queue and starting: it never gets a worker.
            End(task, TaskState.Cancelled, "Stopped", 0, task.StopReason ?? "Stopped", task.StopExitReason);
            return;
        }

        if (task.Options.Timeout > TimeSpan.Zero)
        {
            var limit = task.Options.Timeout;
            task.RunTimer = _time.CreateTimer(
                _ => _ = StopInBackgroundAsync(task, string.Create(CultureInfo.InvariantCulture, $"Stopped: ran for more than {limit.TotalSeconds:0.###} s (timeout)"), ExitReason.Timeout),
                null,
                limit,
                Timeout.InfiniteTimeSpan);
        }

        _ = StartWorkerAsync(task, PlaceholderResolver.MergeEnvironment(_options.ServerEnvironment, task.CallerEnvironment));
    }

    // The queue removed a task that waited longer than its expires.
    private void Expire(PipelineTask task)
    {
        var message = string.Create(CultureInfo.InvariantCulture, $"Expired: waited in the queue for more than {task.Options.Expires.TotalSeconds:0.###} s (expires)");
        Log.Expired(_logger, task.Id);
        End(task, TaskState.Cancelled, "Expired", 0, message, ExitReason.Expired);
    }

    /// <summary>
    /// The one way a task becomes final: exit fields and state, its slot freed (the next queued task starts),
    /// the final status and <c>end</c> published, then <see cref="PipelineTask.Ended"/> completed.
    /// </summary>
    private void End(PipelineTask task, TaskState state, string statusText, int? exitCode, string message, ExitReason reason)
    {
        task.Finish(state, statusText, exitCode, message, reason, _time.GetUtcNow());
        task.RunTimer?.Dispose();
        _admission.Release(task);
        Log.TaskEnded(_logger, task.Id, state.ToString(), exitCode ?? -1, message);
        _metrics?.TaskBilled(task.Sampler?.Tokens ?? TaskTokens.Zero);
        TaskTracing.End(task, state, reason, message);
        Notify(new TaskStatusChanged(task, true));
        Notify(new TaskLifecycle(task, "end"));
        task.SignalEnded();
    }

    /// <summary>Restarts a running task with a new pipeline; identity, tokens and start time are kept.</summary>
    public async Task<PipelineTask> RestartAsync(PipelineTask task, JsonNode? pipeline, CancellationToken cancellationToken)
    {
        var flat = Unwrap(pipeline);

        // The restarted pipeline is the same task: its identity is forced onto the new definition.
        flat["project_id"] = task.Identity.ProjectId;
        flat["source"] = task.Identity.Source;
        var (validation, asWritten) = ValidateResolved(_validator, flat, task.Identity.Source, task.CallerEnvironment, ValidationEnvironment());
        if (!validation.IsValid)
        {
            throw new TaskException(validation.Errors[0].Message);
        }

        if (task.StartedAt is null && !task.State.IsTerminal())
        {
            throw new TaskException("The task is still queued: it can be restarted once it has started");
        }

        if (!task.RequestRestart(asWritten))
        {
            throw new TaskException(task.State.IsTerminal() ? TaskNotFoundException.NotRunning : "The task is already stopping");
        }

        task.SetStatusText("Restarting");
        Notify(new TaskStatusChanged(task, false));
        if (task.Worker is { } worker)
        {
            _ = worker.StopAsync(_options.StopGrace);
        }

        // MonitorExitAsync sees the restart flag, resets the task and starts it again.
        await Task.WhenAny(task.Restarted, task.Ended).WaitAsync(_options.StopGrace + TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        await WaitUntilRunningAsync(task, cancellationToken).ConfigureAwait(false);
        return task;
    }

    // The task's name (before ".<label>"): execute's name, else the pipeline's own, so one pipeline is shown by one
    // name however it was started (protocol-spec/names.md); null leaves RocketRide's fallback, the short id.
    private static string? DisplayName(string? name, JsonObject pipeline) =>
        !string.IsNullOrEmpty(name) ? name
        : pipeline["name"] is JsonValue own && own.TryGetValue(out string? text) && !string.IsNullOrWhiteSpace(text) ? text
        : null;

    private PipelineTask Register(string token, JsonObject pipeline, PipelineDefinition definition, TaskOptions options, string? name, Caller caller, JsonObject? environment, RetryOrigin? origin = null, string? publicKey = null)
    {
        var sourceComponent = definition.SourceComponent;
        var shortId = TaskIdentity.NewShortId();
        var label = sourceComponent.Name
            ?? (sourceComponent.Config["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null)
            ?? definition.Source;
        var identity = new TaskIdentity(
            token,
            publicKey ?? TaskIdentity.NewPublicKey(),
            pipeline["project_id"]!.GetValue<string>(),
            definition.Source,
            sourceComponent.Provider,
            $"{DisplayName(name, pipeline) ?? shortId}.{label}",
            caller.UserId) { Id = $"{shortId}.{definition.Source}" };
        var batch = _catalog.TryGet(sourceComponent.Provider, out var provider) && provider.Definition.Source == SourceKind.Batch;
        var task = new PipelineTask(identity, pipeline, options, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0)
        {
            Admission = _admission,
            LaunchRate = _launchRate,
            Clock = _time,
            Type = origin is not null ? TaskType.Retry : batch ? TaskType.Batch : TaskType.Pipeline,
            LastDataActivity = _time.GetTimestamp(),
            CallerEnvironment = (JsonObject?)environment?.DeepClone(),
            RetryOf = origin?.Id,
            RetryItems = origin?.Items,
            RetryInputDirectory = origin?.Directory,
        };

        if (_tasks.TryGetValue(token, out var replaced))
        {
            _byPublicKey.TryRemove(replaced.Identity.PublicKey, out _);
            DeleteTaskFolder(replaced);
        }

        task.Span = TaskTracing.StartTask(task);
        _tasks[token] = task;
        _byPublicKey[identity.PublicKey] = task;
        return task;
    }

    private async Task StartWorkerAsync(PipelineTask task, IReadOnlyDictionary<string, string> variables)
    {
        WorkerProcess? started = null; // the task's own field is cleared when the task ends, which may race this
        try
        {
            task.LaunchStarted = _time.GetTimestamp();
            task.LaunchSpan ??= TaskTracing.Start(PipelineTracing.LaunchSpan, task.Span);
            task.TryMove(TaskState.Starting, "Starting");
            Notify(new TaskStatusChanged(task, true));

            var resolved = PlaceholderResolver.Resolve(task.Pipeline, variables);
            var outputDirectory = OutputDirectory(task.Identity.Key);
            var settings = new WorkerStartSettings(
                resolved,
                task.Identity.Source,
                task.Options.Threads,
                new ComponentEnvironment
                {
                    AllowedRoots = _options.AllowedRoots,
                    ExecAllowList = _options.ExecAllowList,
                    OutputDirectory = outputDirectory,
                    OutputQuota = new OutputQuota(_options.TaskOutputMaxBytes, _options.ObjectOutputMaxBytes),
                    RetryInputDirectory = task.RetryInputDirectory,
                    Time = _time,
                },
                _options.ComponentsDirectory)
            {
                Retry = task.Options.Retry,
                FailedDirectory = FailedItemsFolder(task.Identity.Key),
                FailedItemMaxBytes = _options.FailedItemMaxBytes,
                FailedTaskMaxBytes = _options.FailedTaskMaxBytes,
                TraceLevel = FlowTraceLevels.Parse(task.Options.TraceLevel),
                TraceParent = task.Span?.Id,
                HeartbeatInterval = HeartbeatInterval,
            };

            var pooled = _pool?.TryTake(evt => OnWorkerEvent(task, evt), line => OnWorkerOutput(task, line));
            if (pooled is not null)
            {
                // Started before this task existed: its environment comes now, read as a new worker's would be.
                settings = settings with { ProcessEnvironment = _options.Worker.WorkerEnvironment() };
            }

            var worker = pooled ?? WorkerProcess.Start(_options.Worker, evt => OnWorkerEvent(task, evt), line => OnWorkerOutput(task, line));
            task.Worker = worker;
            worker.Channel.Metrics = _metrics;
            _metrics?.TaskLaunched(pooled is not null);
            started = worker;
            task.Sampler = new TaskMetricsSampler(
                worker.ProcessId,
                _processProbe,
                _gpuProbe,
                _time,
                _options.MetricsInterval,
                _options.TokenRates,
                () =>
                {
                    Notify(new TaskStatusChanged(task, false) { MetricsOnly = true });
                    EnforceBudget(task);
                },
                logger: _logger);
            task.Sampler.Start();
            if (pooled is null)
            {
                Log.WorkerStarted(_logger, task.Id, worker.ProcessId);
            }
            else
            {
                Log.WorkerTaken(_logger, task.Id, worker.ProcessId);
            }

            _ = MonitorExitAsync(task, worker);

            // Watched from its start (a pool worker may have waited long, silent, for a task).
            worker.Channel.RestartSilenceClock();
            task.TryMove(TaskState.Initializing, "Loading pipeline");
            Notify(new TaskStatusChanged(task, true));

            if (task.StopRequested)
            {
                _ = worker.StopAsync(_options.StopGrace);
                return;
            }

            using var timeout = new CancellationTokenSource(_options.StartTimeout);
            try
            {
                var message = settings.ToMessage();
                await worker.Channel.RequestAsync<Done>(seq => new StartTask(seq, message), timeout.Token).ConfigureAwait(false);
            }
            catch (WorkerRequestFailedException ex)
            {
                // The worker exits by itself with its start-failure code; MonitorExitAsync ends the task.
                task.WorkerExitMessage ??= ex.Message;
            }
        }
        catch (Exception ex) when (ex is WorkerGoneException or OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            Log.StartFailed(_logger, task.Id, ex);
            if (ex is OperationCanceledException)
            {
                task.WorkerExitMessage ??= $"The worker did not load the pipeline within {_options.StartTimeout.TotalSeconds:F0} s";
            }
            else if (started is null)
            {
                task.WorkerExitMessage ??= $"Could not start the worker: {ex.Message}";
            }

            // A worker that died while loading (killed, crashed) is reported by MonitorExitAsync with its real exit code.
            if (started is not null)
            {
                if (!started.Exited.IsCompleted)
                {
                    started.Kill();
                }
            }
            else
            {
                FinishWithoutWorker(task);
            }
        }
    }

    // Issue 20: a task past one of its budgets is stopped (graceful, then killed) with exitReason "budget".
    private void EnforceBudget(PipelineTask task)
    {
        if (task.Options.Budget is { } budget && !task.StopRequested && budget.Exceeded(TaskBudgetUsage.Of(task.Sampler)) is { } message)
        {
            _ = StopInBackgroundAsync(task, message, ExitReason.Budget);
        }
    }

    private void FinishWithoutWorker(PipelineTask task)
    {
        task.TryMove(TaskState.Stopping, "Stopping");
        End(task, TaskState.Cancelled, "Failed", null, task.WorkerExitMessage ?? "The task could not start", ExitReason.Failed);
    }

    private async Task MonitorExitAsync(PipelineTask task, WorkerProcess worker)
    {
        var code = await worker.Exited.ConfigureAwait(false);
        if (worker.Channel.Violation is { } broken)
        {
            LivenessLog.BrokeChannel(_logger, task.Id, worker.ProcessId, broken);
        }

        if (task.Sampler is { } sampler)
        {
            // Zeroes current, peak and average figures; the tokens are kept.
            await sampler.StopAsync().ConfigureAwait(false);
        }

        var openPipes = ReleasePipes(task);
        if (code != 0)
        {
            // The objects it was working on died with it: they count as failed, not as vanished.
            task.FailObjectsInFlight(openPipes);
        }

        await worker.DisposeAsync().ConfigureAwait(false);
        task.TryMove(TaskState.Stopping, "Stopping");
        Notify(new TaskStatusChanged(task, true));

        if (task.Restarting && !_disposing.IsCancellationRequested)
        {
            task.ResetForRestart();
            Log.Restarting(_logger, task.Id);
            Notify(new TaskLifecycle(task, "restart"));
            _ = StartWorkerAsync(task, PlaceholderResolver.MergeEnvironment(_options.ServerEnvironment, task.CallerEnvironment));
            return;
        }

        var (state, status, message, reason) = worker.Channel.Violation is { } violation
            ? (TaskState.Cancelled, "Failed", $"The worker broke the channel protocol and was stopped: it sent {violation}", ExitReason.Failed)
            : task.StopRequested
            ? (TaskState.Cancelled, "Stopped", StopExitMessage(task.StopReason ?? "Stopped", code, worker.KilledAfterGrace), task.StopExitReason)
            : code == 0
                ? (TaskState.Completed, "Completed", task.WorkerExitMessage ?? "Completed", ExitReason.Completed)
                : (TaskState.Cancelled, "Failed", task.WorkerExitMessage ?? CrashMessage(code, task.RecentOutput()), ExitReason.Failed);
        End(task, state, status, code, message, reason);
    }

    private void OnWorkerEvent(PipelineTask task, WorkerEvent evt)
    {
        switch (evt)
        {
            case ServiceState { Up: true }:
                task.SetServiceUp(true);
                if (task.TryMove(TaskState.Running, task.Type != TaskType.Pipeline ? "Processing" : "Ready - accepting data"))
                {
                    task.PipeSlots.Release(task.Options.Threads);
                    _metrics?.TaskRunning(_time.GetElapsedTime(task.LaunchStarted));
                    task.LaunchSpan?.Dispose();
                    task.LaunchSpan = null;
                    Notify(new TaskStatusChanged(task, true));
                }

                break;
            case Counters counts:
                ApplyCounts(task, WorkerFigures.ToJson(counts));
                break;
            case ObjectStarted started:
                task.SetCurrentObject(started.Name, started.Size);
                Notify(new TaskDetail(task, "apaevt_status_object", new JsonObject { ["object"] = started.Name, ["size"] = started.Size }));
                Notify(new TaskStatusChanged(task, false));
                break;
            case WorkerWarning warning:
                task.AddWarning(warning.Message);
                Notify(new TaskDetail(task, "apaevt_status_warning", new JsonObject { ["message"] = warning.Message }));
                Notify(new TaskStatusChanged(task, false));
                break;
            case ObjectError error:
                task.AddError(error.Message, error.Reason);
                Notify(new TaskDetail(task, "apaevt_status_error", new JsonObject { ["message"] = error.Message }));
                Notify(new TaskStatusChanged(task, false));
                break;
            case Exiting exiting:
                if (exiting.Code != 0 || !task.StopRequested)
                {
                    task.WorkerExitMessage ??= exiting.Message;
                }

                break;
            case FileWritten file:
                task.ReportOutputFile(new TaskOutputEntry(file.Name, file.Size, file.ContentType));
                Notify(new TaskStatusChanged(task, false));
                break;
            case Usage usage:
                task.Sampler?.SetReportedUsage(usage.Timers, usage.Counters);
                break;
            case PipeFlow pipeflow:
                ApplyPipeflow(task, WorkerFigures.ToJson(pipeflow));
                break;
            case FlowRecord record when task.Options.TraceLevel is not null:
                Notify(new TaskFlow(task, WorkerFigures.ToJson(record)));
                break;
            case SseMessage sse:
                Notify(new TaskSse(task, sse.PipeId, WorkerFigures.ToJson(sse)));
                break;
            case WorkerLog log:
                OnWorkerOutput(task, log.Line);
                break;
            case Heartbeat:
                // Not a change worth an event: a status read shows it.
                task.LastHeartbeatAt = _time.GetUtcNow();
                break;
        }
    }

    private void ApplyCounts(PipelineTask task, JsonObject counts)
    {
        if (!task.ApplyCounts(counts))
        {
            return;
        }

        var detail = (JsonObject)counts.DeepClone();
        detail.Remove("version");
        detail.Remove(WorkerProtocol.SourceTotalCounter); // status shows it as remainingCount; the event keeps the reference's counters
        Notify(new TaskDetail(task, "apaevt_status_counts", detail));
        Notify(new TaskStatusChanged(task, false));
    }

    private void ApplyPipeflow(PipelineTask task, JsonObject pipeflow)
    {
        if (task.ApplyPipeflow(pipeflow))
        {
            Notify(new TaskStatusChanged(task, false));
        }
    }

    private void OnWorkerOutput(PipelineTask task, string line)
    {
        task.AddOutput(line);
        Notify(new TaskOutput(task, line));
    }

    private async Task WaitUntilRunningAsync(PipelineTask task, CancellationToken cancellationToken)
    {
        // A queued task waits as long as the queue (and its expires) make it; the start timeout begins after.
        await task.LeftQueueOrEnded.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await task.RunningOrEnded.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await TerminateAsync(task, "The task did not become ready in time", ExitReason.Failed, CancellationToken.None).ConfigureAwait(false);
            throw new TaskException($"The task did not become ready within {_options.StartTimeout.TotalSeconds:F0} s");
        }

        // A short batch may finish before this wakes (likely with a warm pool worker): it did start, and ran to the end.
        if (task.State == TaskState.Completed && task.ReachedRunning)
        {
            return;
        }

        ThrowIfNotRunning(task);
    }

    private static void ThrowIfNotRunning(PipelineTask task)
    {
        switch (task.State)
        {
            case TaskState.Running:
                return;
            case TaskState.Completed:
                throw new TaskException("Task has already completed");
            case TaskState.Cancelled:
                throw new TaskException(string.IsNullOrEmpty(task.ExitMessage) ? "The task has stopped" : task.ExitMessage);
            default:
                throw new TaskException(task.StopRequested ? "The task is stopping" : "The task is not running");
        }
    }

    private void Notify(TaskEvent taskEvent)
    {
        // Every status text reaches DETAIL subscribers (the reference's >JOB), from this one place: each text change
        // is followed by a status notification.
        if (taskEvent is TaskStatusChanged change)
        {
            if (!change.MetricsOnly)
            {
                change.Task.Touch(_time.GetUtcNow());
            }

            foreach (var text in taskEvent.Task.TakeStatusTextChanges())
            {
                Notify(new TaskDetail(taskEvent.Task, "apaevt_status_message", new JsonObject { ["message"] = text }));
            }
        }

        foreach (var observer in _observers)
        {
            try
            {
                observer.OnTaskEvent(taskEvent);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ObserverFailed(_logger, observer.GetType().Name, ex);
            }
        }
    }

    private void Housekeeping()
    {
        var now = _time.GetTimestamp();
        foreach (var task in _tasks.Values)
        {
            if (task.State == TaskState.Running && task.Options.Ttl > TimeSpan.Zero && _time.GetElapsedTime(task.LastDataActivity, now) >= task.Options.Ttl)
            {
                _ = StopInBackgroundAsync(task, $"Stopped: idle for more than {task.Options.Ttl.TotalSeconds:F0} s (ttl)", ExitReason.Cancelled);
            }

            if (task.State.IsTerminal() && task.EndTime > 0 && Now() - task.EndTime > _options.Retention.TotalSeconds)
            {
                if (_tasks.TryRemove(new KeyValuePair<string, PipelineTask>(task.Token, task)))
                {
                    _byPublicKey.TryRemove(task.Identity.PublicKey, out _);
                    _creationLocks.TryRemove(task.Token, out _);
                }
            }
        }

        ReapIdlePipes(now);
    }

    private ComponentEnvironment ValidationEnvironment() => new()
    {
        AllowedRoots = _options.AllowedRoots,
        ExecAllowList = _options.ExecAllowList,
        Time = _time,
    };

    private double Now() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private PipelineTask? Find(string token) =>
        _tasks.TryGetValue(token, out var task) ? task : _byPublicKey.GetValueOrDefault(token);

    private TaskOptions ReadOptions(ExecuteRequest request, JsonObject pipeline)
    {
        var threads = request.Threads ?? TaskOptions.Default.Threads;
        if (threads < 1 || threads > _options.MaxThreads)
        {
            throw new TaskException(string.Create(CultureInfo.InvariantCulture, $"Argument 'threads' must be from 1 to {_options.MaxThreads}."));
        }

        var ttl = request.Ttl ?? TaskOptions.Default.Ttl;
        if (ttl < TimeSpan.Zero)
        {
            throw new TaskException("Argument 'ttl' must not be negative.");
        }

        FlowTraceLevel traceLevel;
        try
        {
            traceLevel = FlowTraceLevels.Parse(request.TraceLevel);
        }
        catch (FormatException ex)
        {
            throw new TaskException(ex.Message);
        }

        var retry = RetryPolicy.Parse(request.Retry, "Argument 'retry'", out var retryError);
        if (retryError is not null)
        {
            throw new TaskException(retryError);
        }

        // The argument wins over the pipeline's top-level field of the same name; both follow one rule.
        var timeout = request.Timeout is not null
            ? TaskLimits.Check(request.Timeout, "Argument 'timeout'")
            : TaskLimits.FromJson(pipeline["timeout"], "Pipeline field 'timeout'");
        var expires = request.Expires is not null
            ? TaskLimits.Check(request.Expires, "Argument 'expires'")
            : TaskLimits.FromJson(pipeline["expires"], "Pipeline field 'expires'");
        return new TaskOptions(threads, ttl, traceLevel.ToWire())
        {
            Timeout = timeout ?? TimeSpan.Zero,
            Expires = expires ?? TimeSpan.Zero,
            Retry = retry,
            Budget = TaskBudget.Read(request.Budget, pipeline),
            ExpectedCount = request.ExpectedCount,
        };
    }

    private static string CheckToken(string token)
    {
        if (token.Length > 128 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new TaskException("Argument 'token' must be at most 128 characters without spaces.");
        }

        return token.StartsWith("pk_", StringComparison.Ordinal)
            ? throw new TaskException("Argument 'token' must not start with 'pk_' (reserved for public keys).")
            : token;
    }

    private static JsonObject Unwrap(JsonNode? pipeline)
    {
        try
        {
            return PipelineDocument.Unwrap(pipeline);
        }
        catch (FormatException ex)
        {
            throw new TaskException(ex.Message);
        }
    }

    private static string CrashMessage(int code, IReadOnlyList<string> output)
    {
        var last = output.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
        var reason = "The worker " + ExitDescription(code);
        return last is null ? reason : $"{reason}: {last.Trim()}";
    }

    /// <summary>
    /// The exitMessage of a task someone stopped: the reason, and how the worker really ended when it did not
    /// simply exit 0 (killed after ignoring the stop request for the whole grace, or failed on its way out).
    /// </summary>
    private string StopExitMessage(string reason, int code, bool killedAfterGrace)
    {
        if (code == 0)
        {
            return reason;
        }

        return killedAfterGrace
            ? string.Create(CultureInfo.InvariantCulture, $"{reason}: the worker did not stop within {_options.StopGrace.TotalSeconds:0.###} s and {ExitDescription(code)}")
            : $"{reason}: the worker {ExitDescription(code)}";
    }

    /// <summary>How a worker ended, to follow "The worker": "was killed by signal 9 (SIGKILL)", "exited with code 3".</summary>
    private static string ExitDescription(int code) =>
        !OperatingSystem.IsWindows() && code > 128 && code < 160
            ? string.Create(CultureInfo.InvariantCulture, $"was killed by signal {code - 128} ({SignalName(code - 128)})")
            : string.Create(CultureInfo.InvariantCulture, $"exited with code {code}");

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// <c>&lt;data&gt;/tasks/&lt;key&gt;</c>: the task's output and failed items live under it. Keyed by the task's
    /// random internal key (<see cref="TaskIdentity.Key"/>), never by a token.
    /// </summary>
    private string TaskFolder(string key) => Path.Combine(_options.DataDirectory, "tasks", key);

    /// <summary>The folder key of a stored task: its internal key, or for a task stored before keys existed the legacy token-derived name.</summary>
    private static string FolderKey(TaskRecord record) =>
        record.Key ?? string.Concat((record.Token ?? record.TokenHash ?? string.Empty).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    /// <summary>Where the task's failed items are kept, beside its <c>output</c> folder.</summary>
    private string FailedItemsFolder(string key) => Path.Combine(TaskFolder(key), "failed");

    /// <summary>The folder a task's <c>writer</c> components write into: <c>&lt;data&gt;/tasks/&lt;key&gt;/output</c>.</summary>
    internal string OutputDirectory(string key) => Path.Combine(TaskFolder(key), "output");

    // A reused token names a new task (with a new key): the files of the one it replaces are nobody's any more.
    private void DeleteTaskFolder(PipelineTask replaced)
    {
        try
        {
            var folder = TaskFolder(replaced.Identity.Key);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.FailedItemsNotCleared(_logger, replaced.Id, ex);
        }
    }

    internal static string PermissionName(Permissions permission) => permission switch
    {
        Permissions.Control => "task.control",
        Permissions.Data => "task.data",
        Permissions.Monitor => "task.monitor",
        Permissions.Store => "task.store",
        _ => "task.debug",
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _housekeeping.DisposeAsync().ConfigureAwait(false);
        await _liveness.DisposeAsync().ConfigureAwait(false);

        // Slots freed from here on start nothing: queued tasks are withdrawn and cancelled like the rest.
        _admission.Close();
        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }

        var stops = _tasks.Values.Where(t => !t.State.IsTerminal()).Select(t => TerminateAsync(t, "The host stopped", CancellationToken.None)
            .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
        await Task.WhenAll(stops).ConfigureAwait(false);
        _admission.Dispose();
        (_processProbe as IDisposable)?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.TaskCreated, LogLevel.Information, "Task {TaskId} created")]
        public static partial void TaskCreated(ILogger logger, string taskId);

        [LoggerMessage(LogEventIds.WorkerStarted, LogLevel.Information, "Task {TaskId} worker started (pid {Pid})")]
        public static partial void WorkerStarted(ILogger logger, string taskId, int pid);

        [LoggerMessage(LogEventIds.TaskEnded, LogLevel.Information, "Task {TaskId} ended {State} (exit code {ExitCode}): {ExitMessage}")]
        public static partial void TaskEnded(ILogger logger, string taskId, string state, int exitCode, string exitMessage);

        [LoggerMessage(LogEventIds.TaskStopping, LogLevel.Information, "Task {TaskId} stopping: {Reason}")]
        public static partial void Stopping(ILogger logger, string taskId, string reason);

        [LoggerMessage(LogEventIds.TaskStartFailed, LogLevel.Warning, "Task {TaskId} could not start")]
        public static partial void StartFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(LogEventIds.TaskObserverFailed, LogLevel.Warning, "Task observer {Observer} failed")]
        public static partial void ObserverFailed(ILogger logger, string observer, Exception exception);

        [LoggerMessage(LogEventIds.TaskRestarting, LogLevel.Information, "Task {TaskId} restarting")]
        public static partial void Restarting(ILogger logger, string taskId);

        [LoggerMessage(LogEventIds.FailedItemsNotCleared, LogLevel.Warning, "Task {TaskId}: the files of a task replaced by one with its token could not be removed")]
        public static partial void FailedItemsNotCleared(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(LogEventIds.RetryTaskCreated, LogLevel.Information, "Task {TaskId} created to retry {Items} failed items of task {RetryOf}")]
        public static partial void RetryTaskCreated(ILogger logger, string taskId, long items, string retryOf);
        [LoggerMessage(LogEventIds.TaskQueued, LogLevel.Information, "Task {TaskId} queued at position {Position}")]
        public static partial void Queued(ILogger logger, string taskId, int position);

        [LoggerMessage(LogEventIds.TaskExpired, LogLevel.Information, "Task {TaskId} expired in the queue")]
        public static partial void Expired(ILogger logger, string taskId);

        [LoggerMessage(LogEventIds.TaskStopFailed, LogLevel.Warning, "Task {TaskId} did not end after being stopped")]
        public static partial void StopFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(LogEventIds.WorkerTaken, LogLevel.Information, "Task {TaskId} took a pre-started worker (pid {Pid})")]
        public static partial void WorkerTaken(ILogger logger, string taskId, int pid);
    }
}
