using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// A kind of component (a "provider" in the pipeline file). Adding a provider means one class implementing this
/// interface: a built-in is listed in the host's component catalogue, a plug-in's is found in its assembly.
/// </summary>
public interface IComponentProvider
{
    /// <summary>The provider's catalogue entry.</summary>
    ServiceDefinition Definition { get; }

    /// <summary>
    /// Builds the task-wide component from its already schema-validated <paramref name="config"/>. Throw
    /// <see cref="ComponentConfigException"/> for config that the schema cannot express as invalid.
    /// </summary>
    IComponent Create(JsonObject config, ComponentEnvironment environment);
}

/// <summary>
/// A component configured for one task. Shared by every object of the task, so it must be safe for concurrent
/// use; per-object state belongs in the <see cref="IObjectProcessor"/> it begins.
/// </summary>
public interface IComponent
{
    /// <summary>Starts processing one object.</summary>
    IObjectProcessor Begin(ObjectContext context);
}

/// <summary>One component working on one object: lane items arrive in order, then one close.</summary>
public interface IObjectProcessor
{
    /// <summary>An item arrived on <paramref name="lane"/>. Emit results through <paramref name="output"/>.</summary>
    ValueTask WriteAsync(string lane, Lanes.LanePayload payload, IComponentOutput output, CancellationToken cancellationToken);

    /// <summary>No more input for this object: flush anything buffered.</summary>
    ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken);
}

/// <summary>Where a processor sends its results and reports what it saw.</summary>
public interface IComponentOutput
{
    /// <summary>Sends <paramref name="payload"/> to every component listening to this one on <paramref name="lane"/>.</summary>
    ValueTask EmitAsync(string lane, Lanes.LanePayload payload, CancellationToken cancellationToken);

    /// <summary>Records a warning against the task (kept in status <c>warnings</c>).</summary>
    void Warn(string message);

    /// <summary>Adds to a named counter: <c>wordsCount</c>/<c>wordsSize</c> feed status; others are billing counters.</summary>
    void Count(string counter, long amount);

    /// <summary>
    /// Reports a file finished in the task's output folder (<see cref="ComponentEnvironment.OutputDirectory"/>):
    /// its name there, its size and what it holds. The task lists it in status <c>outputs</c> and serves it for
    /// download.
    /// </summary>
    void FileWritten(string name, long size, string contentType);

    /// <summary>
    /// Emits a child object found inside the current one (an archive entry, an e-mail attachment): a new object
    /// with its own name, metadata, result and counters, whose bytes enter <em>this</em> component on <c>tags</c>
    /// and then flow to every component downstream of it, before this call returns. A child that fails ends with
    /// its own error and counts as failed; this call still returns normally, except for an
    /// <see cref="ObjectLimitException"/>, which it rethrows so the object holding the child fails too.
    /// </summary>
    /// <exception cref="NotSupportedException">The runtime driving this component has no child objects (a test harness).</exception>
    ValueTask EmitObjectAsync(ChildObject child, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This runtime does not run child objects");
}

/// <summary>An object found inside another, for <see cref="IComponentOutput.EmitObjectAsync"/>.</summary>
/// <param name="Name">Its name, by convention its container's name and its path inside it (<c>set.zip/dir/a.pdf</c>).</param>
/// <param name="MimeType">Its MIME type, lower-cased, without parameters (<c>application/octet-stream</c> when unknown).</param>
/// <param name="Content">All its bytes.</param>
/// <param name="Metadata">Its object info (what a client sends as <c>object</c> on open); none: empty.</param>
public sealed record ChildObject(string Name, string MimeType, ReadOnlyMemory<byte> Content, JsonObject? Metadata = null);

/// <summary>
/// An object's content is past a limit set for the whole object and everything inside it (entries, expanded
/// bytes, nesting). Thrown inside a child object, it fails the child and every object it came from, up to the one
/// the client or source sent; any other failure of a child ends only the child.
/// </summary>
public sealed class ObjectLimitException(string message) : Exception(message);

/// <summary>A component's config is invalid in a way the schema could not say.</summary>
public sealed class ComponentConfigException(string message) : Exception(message);

/// <summary>Host-wide settings components may depend on, fixed when the task starts.</summary>
public sealed record ComponentEnvironment
{
    /// <summary>Folders a <c>filesys</c> source may read from. Empty: none.</summary>
    public IReadOnlyList<string> AllowedRoots { get; init; } = [];

    /// <summary>Programs an <c>exec</c> component may run (absolute paths). Empty: <c>exec</c> is refused.</summary>
    public IReadOnlyList<string> ExecAllowList { get; init; } = [];

    /// <summary>The task's output folder, where <c>writer</c> puts its files.</summary>
    public string OutputDirectory { get; init; } = Path.GetTempPath();

    /// <summary>How much the task's <c>writer</c> components may write, in all and per object.</summary>
    public OutputQuota OutputQuota { get; init; } = new(OutputQuota.DefaultTaskMaxBytes, OutputQuota.DefaultObjectMaxBytes);

    /// <summary>For a retry task only: the failed items folder of the task it reprocesses, which <c>failed_items</c> reads.</summary>
    public string? RetryInputDirectory { get; init; }

    /// <summary>The clock; tests replace it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
