using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Commands;

/// <summary>Task lifecycle and lookups: <c>execute</c>, <c>terminate</c>, <c>restart</c>, status, token, pipeline and task lists.</summary>
internal sealed class TaskCommands(TaskManager tasks) : ICommandModule
{
    public void Register(CommandTable table)
    {
        table.Add(new CommandDefinition("execute", ExecuteAsync, Permissions.Control));
        table.Add(new CommandDefinition("terminate", TerminateAsync, Permissions.Control));
        table.Add(new CommandDefinition("restart", RestartAsync, Permissions.Control));
        table.Add(new CommandDefinition("rrext_retry_failed", RetryFailedAsync, Permissions.Control));
        table.Add(new CommandDefinition("rrext_get_task_status", GetStatusAsync, Permissions.Monitor, Immediate: true));
        table.Add(new CommandDefinition("rrext_get_token", GetToken, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_get_pipeline", GetPipeline, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_get_tasks", GetTasks, Permissions.Monitor));
    }

    /// <summary>
    /// The <c>execute</c>/<c>restart</c> body: the task's identity, then <c>queued</c>/<c>queuePosition</c>, and
    /// for a task that is still queued a <c>message</c> saying so.
    /// </summary>
    public static JsonObject StartedBody(PipelineTask task, int queuePosition = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        return StartedBody(task.Identity, queuePosition);
    }

    private static JsonObject StartedBody(TaskIdentity identity, int queuePosition)
    {
        var body = new JsonObject
        {
            ["id"] = identity.Id,
            ["token"] = identity.Token,
            ["publicToken"] = identity.PublicKey,
            ["projectId"] = identity.ProjectId,
            ["source"] = identity.Source,
            ["provider"] = identity.Provider,
            ["queued"] = queuePosition > 0,
            ["queuePosition"] = queuePosition,
        };
        if (queuePosition > 0)
        {
            body["message"] = string.Create(
                CultureInfo.InvariantCulture,
                $"Queued at position {queuePosition}: the task starts when a slot frees (pass wait:true to wait until it runs).");
        }

        return body;
    }

    /// <summary>The <c>execute</c>/<c>POST /task</c> body for what <see cref="TaskManager.LaunchAsync"/> returned.</summary>
    public static JsonObject StartedBody(TaskLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var body = StartedBody(launch.Identity, launch.QueuePosition);
        if (launch.Replayed)
        {
            // issue 20: the idempotencyKey named this task already; nothing was started.
            body["replayed"] = true;
        }

        return body;
    }

    /// <summary>Largest <c>threads</c> of <c>execute</c> (protocol-spec/tasks.md: 1–256).</summary>
    public const int MaxThreads = 256;

    private const string TraceLevelExpected = "Argument 'pipelineTraceLevel' must be none, metadata, summary or full.";

    /// <summary>Reads <c>execute</c>'s arguments.</summary>
    public static ExecuteRequest ReadExecuteRequest(CommandContext context)
    {
        var ttl = context.GetInteger("ttl", 0, int.MaxValue);
        var threads = context.GetInteger("threads", 1, MaxThreads);
        if (context.Arguments["pipelineTraceLevel"] is { } level && level.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null))
        {
            throw new CommandException(TraceLevelExpected);
        }

        var env = context.GetObject("env");
        var pipeline = context.Arguments["pipeline"] ?? throw new CommandException("Argument 'pipeline' is required.");
        InputStrings.EnsureNoNul(pipeline, "pipeline");
        return new ExecuteRequest(pipeline)
        {
            Source = context.GetString("source"),
            Token = context.GetString("token"),
            UseExisting = context.GetBool("useExisting"),
            Ttl = ttl is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Threads = threads is { } t ? (int)t : null,
            TraceLevel = context.GetString("pipelineTraceLevel"),
            Name = context.GetString("name"),
            Environment = env,
            Retry = context.Arguments["retry"],
            CallbackUrl = context.GetString("callbackUrl"),
            Timeout = Limit(context, "timeout"),
            Expires = Limit(context, "expires"),
            Wait = context.GetBool("wait"),
            IdempotencyKey = context.GetString("idempotencyKey"),
            Budget = TaskBudget.Names.Where(n => context.Arguments[n] is not null).ToDictionary(n => n, n => context.Arguments[n]?.DeepClone()),
            ExpectedCount = context.GetInteger("expectedCount", 0),
        };
    }

    // Given (even as 0, "no limit") it wins over the pipeline's field; absent or null leaves that to the pipeline.
    private static TimeSpan? Limit(CommandContext context, string name) =>
        context.Arguments[name] is null ? null : TaskLimits.FromJson(context.Arguments[name], $"Argument '{name}'") ?? TimeSpan.Zero;

    /// <summary>The <c>rrext_retry_failed</c>/<c>POST /task/retry-failed</c> body: <see cref="StartedBody"/> plus <c>nbItems</c> and <c>retryOf</c>.</summary>
    public static JsonObject RetryStartedBody(PipelineTask task)
    {
        var body = StartedBody(task);
        body["nbItems"] = task.RetryItems;
        body["retryOf"] = task.RetryOf;
        return body;
    }

    private async ValueTask<CommandResult> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var launch = await tasks.LaunchAsync(ReadExecuteRequest(context), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(StartedBody(launch));
    }

    private async ValueTask<CommandResult> RetryFailedAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var task = await tasks.RetryFailedAsync(context.Token, context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(RetryStartedBody(task));
    }

    private async ValueTask<CommandResult> TerminateAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var task = tasks.GetTask(context.Token, context.Caller, Permissions.Control);
        await tasks.TerminateAsync(task, "Stopped", cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok();
    }

    private async ValueTask<CommandResult> RestartAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var token = context.Token;
        PipelineTask task;
        if (!context.Caller.IsTaskScoped && (string.IsNullOrEmpty(token) || token == "*"))
        {
            // Both SDKs overwrite the token with "*" and send projectId/source: resolve the task from those.
            var projectId = context.RequireString("projectId");
            var source = context.RequireString("source");
            task = tasks.FindByProject(projectId, source) ?? throw new TaskNotFoundException();
            task = tasks.GetTask(task.Token, context.Caller, Permissions.Control);
        }
        else
        {
            task = tasks.GetTask(token, context.Caller, Permissions.Control);
        }

        var pipeline = context.Arguments["pipeline"] ?? throw new CommandException("Argument 'pipeline' is required.");
        await tasks.RestartAsync(task, pipeline, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(StartedBody(task));
    }

    // Live status, or the stored final status of a task no longer in memory (API keys only).
    private async ValueTask<CommandResult> GetStatusAsync(CommandContext context, CancellationToken cancellationToken) =>
        CommandResult.Ok(await tasks.GetStatusAsync(context.Token, context.Caller, context.GetBool("config"), cancellationToken).ConfigureAwait(false));

    private ValueTask<CommandResult> GetToken(CommandContext context, CancellationToken cancellationToken)
    {
        var task = tasks.FindByProject(context.RequireString("projectId"), context.RequireString("source"))
            ?? throw new TaskNotFoundException();
        task = tasks.GetTask(task.Token, context.Caller, Permissions.Monitor);
        return ValueTask.FromResult(CommandResult.Ok(new JsonObject { ["token"] = task.Token }));
    }

    private ValueTask<CommandResult> GetPipeline(CommandContext context, CancellationToken cancellationToken)
    {
        var task = tasks.GetTask(context.Token, context.Caller, Permissions.Monitor);
        return ValueTask.FromResult(CommandResult.Ok(new JsonObject { ["pipeline"] = task.Pipeline.DeepClone() }));
    }

    private ValueTask<CommandResult> GetTasks(CommandContext context, CancellationToken cancellationToken)
    {
        var caller = context.Caller;
        var list = new JsonArray();
        foreach (var task in tasks.Tasks.Where(t => t.State == TaskState.Running && caller.CanAccess(t.Token, Permissions.Monitor)).OrderBy(t => t.StartTime))
        {
            list.Add(new JsonObject
            {
                ["name"] = task.Pipeline["name"]?.DeepClone() ?? task.Identity.Source,
                ["description"] = task.Pipeline["description"] is JsonValue d && d.GetValueKind() == JsonValueKind.String ? d.GetValue<string>() : "PipelineHost task",
                ["source"] = task.Identity.Source,
                ["token"] = task.Token,
                ["status"] = task.StatusText,
                ["pipeline"] = task.Pipeline.DeepClone(),
            });
        }

        return ValueTask.FromResult(CommandResult.Ok(new JsonObject { ["tasks"] = list }));
    }
}
