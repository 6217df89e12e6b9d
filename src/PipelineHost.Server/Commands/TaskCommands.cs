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
        table.Add(new CommandDefinition("rrext_get_task_status", GetStatusAsync, Permissions.Monitor, Immediate: true));
        table.Add(new CommandDefinition("rrext_get_token", GetToken, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_get_pipeline", GetPipeline, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_get_tasks", GetTasks, Permissions.Monitor));
    }

    /// <summary>The <c>execute</c>/<c>restart</c> body.</summary>
    public static JsonObject StartedBody(PipelineTask task) => new()
    {
        ["id"] = task.Id,
        ["token"] = task.Token,
        ["publicToken"] = task.Identity.PublicKey,
        ["projectId"] = task.Identity.ProjectId,
        ["source"] = task.Identity.Source,
        ["provider"] = task.Identity.Provider,
    };

    /// <summary>Reads <c>execute</c>'s arguments.</summary>
    public static ExecuteRequest ReadExecuteRequest(CommandContext context)
    {
        var ttl = context.GetInteger("ttl", 0, int.MaxValue);
        var threads = context.GetInteger("threads", 1, int.MaxValue);
        var env = context.GetObject("env");
        return new ExecuteRequest(context.Arguments["pipeline"] ?? throw new CommandException("Argument 'pipeline' is required."))
        {
            Source = context.GetString("source"),
            Token = context.GetString("token"),
            UseExisting = context.GetBool("useExisting"),
            Ttl = ttl is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Threads = threads is { } t ? (int)t : null,
            TraceLevel = context.Arguments["pipelineTraceLevel"]?.GetValueKind() == JsonValueKind.String ? context.GetString("pipelineTraceLevel") : null,
            Name = context.GetString("name"),
            Environment = env,
        };
    }

    private async ValueTask<CommandResult> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var task = await tasks.ExecuteAsync(ReadExecuteRequest(context), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(StartedBody(task));
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
        CommandResult.Ok(await tasks.GetStatusAsync(context.Token, context.Caller, cancellationToken).ConfigureAwait(false));

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
