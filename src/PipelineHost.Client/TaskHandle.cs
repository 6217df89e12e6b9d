using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>A started task, as <c>execute</c> and <c>restart</c> describe it.</summary>
/// <param name="Token">The private task token (<c>tk_…</c> or the caller's choice): full control of the task.</param>
/// <param name="PublicToken">The public key (<c>pk_…</c>): may only send data to the task.</param>
/// <param name="Id">The short id that events carry in <c>__id</c>, e.g. <c>3f2a9c1b.webhook_1</c>.</param>
/// <param name="ProjectId">The pipeline's <c>project_id</c>.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Provider">The source component's provider, e.g. <c>webhook</c>.</param>
public sealed record TaskHandle(string Token, string PublicToken, string Id, string ProjectId, string Source, string Provider)
{
    /// <summary>The response body as received.</summary>
    public JsonObject Raw { get; init; } = [];

    /// <summary>
    /// True when <c>execute</c> answered before the task could start because the server's concurrency limit was
    /// reached: the task waits in the queue (at <see cref="QueuePosition"/>) and starts when a slot frees.
    /// </summary>
    public bool Queued { get; init; }

    /// <summary>The task's 1-based queue position when <see cref="Queued"/>; else 0.</summary>
    public int QueuePosition { get; init; }

    /// <summary>True when the <see cref="UseOptions.IdempotencyKey"/> already named this task: nothing new was started.</summary>
    public bool Replayed { get; init; }

    internal static TaskHandle FromJson(JsonObject body, string command)
    {
        var token = JsonFields.String(body, "token");
        if (string.IsNullOrEmpty(token))
        {
            // Both RocketRide SDKs refuse a start without a token: nothing could be done with such a task.
            throw new PipelineHostException($"The server's answer to '{command}' has no task token.", command);
        }

        return new TaskHandle(
            token,
            JsonFields.StringOrEmpty(body, "publicToken"),
            JsonFields.StringOrEmpty(body, "id"),
            JsonFields.StringOrEmpty(body, "projectId"),
            JsonFields.StringOrEmpty(body, "source"),
            JsonFields.StringOrEmpty(body, "provider"))
        {
            Raw = body,
            Queued = JsonFields.Bool(body, "queued"),
            QueuePosition = (int)JsonFields.Int64(body, "queuePosition"),
            Replayed = JsonFields.Bool(body, "replayed"),
        };
    }
}

/// <summary>A retry task started by <see cref="PipelineHostClient.RetryFailedAsync"/>.</summary>
/// <param name="Task">The new task.</param>
/// <param name="NbItems">How many failed items it reprocesses.</param>
/// <param name="RetryOf">The id of the task whose failed items it reprocesses.</param>
public sealed record RetryTaskHandle(TaskHandle Task, long NbItems, string RetryOf);
