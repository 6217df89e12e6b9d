using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary>An <see cref="IComponentOutput"/> that remembers everything a processor emitted, warned, counted and wrote.</summary>
internal sealed class RecordingOutput : IComponentOutput
{
    private readonly Lock _lock = new();

    public List<(string Lane, LanePayload Payload)> Emitted { get; } = [];

    public List<string> Warnings { get; } = [];

    public Dictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public List<(string Name, long Size, string ContentType)> Files { get; } = [];

    /// <summary>The payloads emitted on <paramref name="lane"/>, in order.</summary>
    public IReadOnlyList<LanePayload> On(string lane)
    {
        lock (_lock)
        {
            return Emitted.Where(e => e.Lane == lane).Select(e => e.Payload).ToList();
        }
    }

    /// <summary>The text items emitted on <c>text</c>.</summary>
    public IReadOnlyList<string> Texts => On(LaneNames.Text).Cast<TextPayload>().Select(t => t.Text).ToList();

    /// <summary>All documents emitted on <c>documents</c>, flattened.</summary>
    public IReadOnlyList<Document> Documents => On(LaneNames.Documents).Cast<DocumentsPayload>().SelectMany(d => d.Documents).ToList();

    /// <summary>The one table emitted on <c>table</c>.</summary>
    public TablePayload Table => Assert.IsType<TablePayload>(Assert.Single(On(LaneNames.Table)));

    /// <summary>All bytes emitted on <c>tags</c>, concatenated.</summary>
    public byte[] Bytes => On(LaneNames.Tags).Cast<BytesPayload>().SelectMany(b => b.Bytes.ToArray()).ToArray();

    public long Counter(string name)
    {
        lock (_lock)
        {
            return Counters.GetValueOrDefault(name);
        }
    }

    public ValueTask EmitAsync(string lane, LanePayload payload, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Emitted.Add((lane, payload));
        }

        return ValueTask.CompletedTask;
    }

    public void Warn(string message)
    {
        lock (_lock)
        {
            Warnings.Add(message);
        }
    }

    public void Count(string counter, long amount)
    {
        lock (_lock)
        {
            Counters[counter] = Counters.GetValueOrDefault(counter) + amount;
        }
    }

    public void FileWritten(string name, long size, string contentType)
    {
        lock (_lock)
        {
            Files.Add((name, size, contentType));
        }
    }
}
