using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Runtime;

namespace PipelineHost.Pipelines.Components.Sources;

/// <summary>
/// The source of a retry task (<c>rrext_retry_failed</c>): reads the failed items another task kept and pushes
/// each one through the pipeline again, with its original name and type; completes by itself. Items kept
/// without their input (over the caps) cannot be replayed and are skipped. The folder comes from the host
/// (<see cref="ComponentEnvironment.RetryInputDirectory"/>), never from the pipeline.
/// </summary>
public sealed class FailedItemsSourceProvider : IComponentProvider
{
    /// <summary>The provider name the host puts in place of a retried task's source.</summary>
    public const string ProviderName = "failed_items";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: ProviderName,
        Title: "Failed items (retry tasks only)",
        Description: "Replays the failed items of an earlier task; put in place of the source by rrext_retry_failed.",
        ClassTypes: ["source"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.SourceInput] = LaneNames.All },
        ConfigSchema: new JsonObject { ["type"] = "object" })
    {
        Source = SourceKind.Batch,
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.RetryInputDirectory is { } directory
            ? new FailedItems(directory)
            : throw new ComponentConfigException("the failed_items source exists only in retry tasks");
    }

    private sealed class FailedItems(string directory) : IBatchSource
    {
        private readonly IReadOnlyList<FailedItem> _items = FailedItemStore.List(directory).Where(i => i.DataPath is not null).ToList();

        public long? KnownTotal => _items.Count;

        public IObjectProcessor Begin(ObjectContext context) => new SourceProcessor(context);

        public async IAsyncEnumerable<SourceObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var item in _items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = item.DataPath!;
                yield return new SourceObject(item.Name, item.MimeType, item.Size, _ => ValueTask.FromResult<Stream>(File.OpenRead(path)));
                await Task.Yield();
            }
        }
    }
}
