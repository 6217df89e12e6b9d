using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sources;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Engine.Tasks;

/// <summary><c>rrext_retry_failed</c>: a new task that reprocesses the failed items a finished task kept.</summary>
public sealed partial class TaskManager
{
    /// <summary>
    /// Starts a retry task (type <see cref="TaskType.Retry"/>) for the finished task <paramref name="token"/> names:
    /// its pipeline with the source replaced by a reader of the failed items, owned by the same user. A task
    /// credential (<c>tk_</c>) of the finished task may ask; a public key may not. Returns once the retry task
    /// is running (or, having few items, has already finished).
    /// </summary>
    /// <exception cref="TaskNotFoundException">No such task (for this caller).</exception>
    /// <exception cref="TaskException">The task is still running, has nothing to retry, or the caller may not.</exception>
    public async Task<PipelineTask> RetryFailedAsync(string? token, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var original = await FindRetryOriginalAsync(token, caller, cancellationToken).ConfigureAwait(false);
        if (!original.State.IsTerminal())
        {
            throw new TaskException("The task is still running: its failed items can be retried once it has finished");
        }

        var folder = FailedItemsFolder(original.FolderKey);
        var items = FailedItemStore.List(folder);
        var replayable = items.Count(i => i.DataPath is not null);
        if (replayable == 0)
        {
            throw new TaskException(items.Count == 0
                ? "Nothing to retry: the task has no failed items"
                : string.Create(CultureInfo.InvariantCulture, $"Nothing to retry: none of the task's {items.Count} failed items kept its input (they were over the size caps)"));
        }

        var pipeline = RetryPipeline(original.Pipeline, original.Source);
        var (validation, asWritten) = ValidateResolved(
            new PipelineValidator(_catalog.WithRetrySource()), pipeline, original.Source, original.Environment, ValidationEnvironment() with { RetryInputDirectory = folder });
        if (!validation.IsValid)
        {
            throw new TaskException($"The task's pipeline can no longer run: {validation.Errors[0].Message}");
        }

        var options = original.Options.Retry is null ? original.Options with { Retry = validation.Definition!.Retry } : original.Options;
        var task = Register(
            TaskIdentity.NewToken(),
            asWritten,
            validation.Definition!,
            options,
            null,
            caller with { UserId = original.UserId },
            original.Environment,
            new RetryOrigin(original.Id, replayable, folder));
        Log.RetryTaskCreated(_logger, task.Id, replayable, original.Id);
        Notify(new TaskLifecycle(task, "begin"));
        _ = StartWorkerAsync(task, PlaceholderResolver.MergeEnvironment(_options.ServerEnvironment, task.CallerEnvironment));

        try
        {
            await task.RunningOrEnded.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await TerminateAsync(task, "The task did not become ready in time", CancellationToken.None).ConfigureAwait(false);
            throw new TaskException($"The task did not become ready within {_options.StartTimeout.TotalSeconds:F0} s");
        }

        // A retry task with few items may be done already; only one that never ran is an error.
        if (task.State == TaskState.Cancelled && !task.StopRequested)
        {
            throw new TaskException(string.IsNullOrEmpty(task.ExitMessage) ? "The retry task could not start" : task.ExitMessage);
        }

        return task;
    }

    /// <summary>The original's pipeline with its source component replaced by <c>failed_items</c> (same id and edges).</summary>
    private static JsonObject RetryPipeline(JsonObject original, string source)
    {
        var pipeline = (JsonObject)original.DeepClone();
        if (pipeline["components"] is JsonArray components)
        {
            foreach (var component in components.OfType<JsonObject>())
            {
                if (component["id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String && id.GetValue<string>() == source)
                {
                    component["provider"] = FailedItemsSourceProvider.ProviderName;
                    component["config"] = new JsonObject();
                }
            }
        }

        return pipeline;
    }

    private async Task<RetryOriginal> FindRetryOriginalAsync(string? token, Caller caller, CancellationToken cancellationToken)
    {
        try
        {
            var task = GetTask(token, caller, Permissions.Control);
            return new RetryOriginal(task.Identity.Key, task.Id, task.Identity.Source, task.Identity.UserId, task.Pipeline, task.State, task.Options, task.CallerEnvironment);
        }
        catch (TaskNotFoundException) when (_store is not null && caller.Kind == CredentialKind.ApiKey && caller.Has(Permissions.Control) && !string.IsNullOrEmpty(token))
        {
            // Gone from memory: the store still has the pipeline and the owner (not the caller's env, never stored).
            var record = await _store.FindTaskAsync(token, cancellationToken).ConfigureAwait(false);
            if (record is null || !string.Equals(record.UserId, caller.UserId, StringComparison.Ordinal))
            {
                throw new TaskNotFoundException();
            }

            var threads = record.Status?["pipeflow"]?["totalPipes"] is JsonValue v && v.TryGetValue(out int pipes) && pipes > 0 ? pipes : TaskOptions.Default.Threads;
            return new RetryOriginal(FolderKey(record), record.Id, record.Source, record.UserId, record.Pipeline, record.State, TaskOptions.Default with { Threads = threads }, null);
        }
    }

    private sealed record RetryOriginal(string FolderKey, string Id, string Source, string UserId, JsonObject Pipeline, TaskState State, TaskOptions Options, JsonObject? Environment);
}

/// <summary>What a retry task reprocesses: the original task's id, how many items, and where they are.</summary>
internal sealed record RetryOrigin(string Id, long Items, string Directory);
