using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Lanes;

/// <summary>One item travelling on a lane. Each lane has exactly one payload type.</summary>
public abstract record LanePayload
{
    /// <summary>The payload's size in bytes for counters (UTF-8 length for text).</summary>
    public abstract long Size { get; }
}

/// <summary>Raw bytes, the <c>tags</c> lane.</summary>
public sealed record BytesPayload(ReadOnlyMemory<byte> Bytes) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Bytes.Length;
}

/// <summary>Text, the <c>text</c> lane.</summary>
public sealed record TextPayload(string Text) : LanePayload
{
    /// <inheritdoc />
    public override long Size => System.Text.Encoding.UTF8.GetByteCount(Text);
}

/// <summary>A chunk of text with metadata (source object, chunk index, offsets...).</summary>
public sealed record Document(string Text, JsonObject Metadata);

/// <summary>Documents, the <c>documents</c> lane.</summary>
public sealed record DocumentsPayload(IReadOnlyList<Document> Documents) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Documents.Sum(d => (long)System.Text.Encoding.UTF8.GetByteCount(d.Text));
}

/// <summary>Rows of a table, the <c>table</c> lane. Every row has a value (possibly null) for every column.</summary>
public sealed record TablePayload(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Rows.Sum(r => r.Sum(c => (long)(c?.Length ?? 0)));
}

/// <summary>One label assigned to an object: which rule matched and the matched text.</summary>
public sealed record Classification(string Label, string Rule, string? Match);

/// <summary>Labels, the <c>classifications</c> lane.</summary>
public sealed record ClassificationsPayload(IReadOnlyList<Classification> Classifications) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Classifications.Count;
}
