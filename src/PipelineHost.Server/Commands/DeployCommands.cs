using System.Text.Json.Nodes;
using PipelineHost.Engine.Scheduling;
using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_deploy_add</c>, <c>_list</c>, <c>_status</c>, <c>_update</c>, <c>_remove</c>: pipelines run on a schedule.</summary>
internal sealed class DeployCommands(DeploymentScheduler deployments) : ICommandModule
{
    public void Register(CommandTable table)
    {
        table.Add(new CommandDefinition("rrext_deploy_add", AddAsync, Permissions.Control));
        table.Add(new CommandDefinition("rrext_deploy_list", ListAsync, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_deploy_status", StatusAsync, Permissions.Monitor));
        table.Add(new CommandDefinition("rrext_deploy_update", UpdateAsync, Permissions.Control));
        table.Add(new CommandDefinition("rrext_deploy_remove", RemoveAsync, Permissions.Control));
        table.Add(new CommandDefinition("rrext_deploy_pause", (c, ct) => SetPausedAsync(c, true, ct), Permissions.Control));
        table.Add(new CommandDefinition("rrext_deploy_resume", (c, ct) => SetPausedAsync(c, false, ct), Permissions.Control));
        table.Add(new CommandDefinition("rrext_deploy_run", RunNowAsync, Permissions.Control));
    }

    private static string ProjectId(CommandContext context) =>
        context.GetString("projectId") is { Length: > 0 } id ? id : context.RequireString("project_id");

    private async ValueTask<CommandResult> AddAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var pipeline = context.Arguments["pipeline"] ?? throw new CommandException("Argument 'pipeline' is required.");
        var record = await deployments.AddAsync(pipeline, context.GetString("schedule"), context.GetString("timeZone"), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(record.ToJson());
    }

    private async ValueTask<CommandResult> ListAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var records = await deployments.ListAsync(context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(new JsonObject { ["deployments"] = new JsonArray(records.Select(r => (JsonNode)r.ToJson()).ToArray()) });
    }

    private async ValueTask<CommandResult> StatusAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var record = await deployments.GetAsync(ProjectId(context), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(record.ToJson());
    }

    private async ValueTask<CommandResult> UpdateAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await deployments.UpdateAsync(ProjectId(context), context.Arguments["pipeline"], context.GetString("schedule"), context.GetString("timeZone"), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(new JsonObject());
    }

    private async ValueTask<CommandResult> RemoveAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await deployments.RemoveAsync(ProjectId(context), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(new JsonObject());
    }

    private async ValueTask<CommandResult> SetPausedAsync(CommandContext context, bool paused, CancellationToken cancellationToken)
    {
        var record = await deployments.SetPausedAsync(ProjectId(context), paused, context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(record.ToJson());
    }

    private async ValueTask<CommandResult> RunNowAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var record = await deployments.RunNowAsync(ProjectId(context), context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(record.ToJson());
    }
}
