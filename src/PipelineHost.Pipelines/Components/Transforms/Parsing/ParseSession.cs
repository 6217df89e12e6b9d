using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>How far <c>parse</c> follows archives and attachments before it ends the object with an error.</summary>
/// <param name="MaxEntries">The most archive entries and attachments one object may hold, all levels together.</param>
/// <param name="MaxExpandedBytes">The most bytes those may expand to, all levels together.</param>
/// <param name="MaxDepth">How many archives or messages deep parsing goes (1: the entries of the object itself).</param>
public sealed record ParseLimits(int MaxEntries, long MaxExpandedBytes, int MaxDepth)
{
    /// <summary>1000 entries, 256 MiB expanded, 3 levels.</summary>
    public static ParseLimits Default { get; } = new(1000, 256L * 1024 * 1024, 3);
}

/// <summary>An object <c>parse</c> cannot read: the message says which object and why, and ends that object only.</summary>
public sealed class DocumentParseException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One object being parsed: where its parts go, the budget its archives and attachments share, and how deep the
/// current part is. Parts of an archive or e-mail are parsed in line, their results going on the same lanes with
/// <c>source</c> metadata naming the part (not as separate pipeline objects).
/// </summary>
internal sealed class ParseSession(IComponentOutput output, ParseLimits limits, string? csvDelimiter, CancellationToken cancellationToken)
{
    private int _entries;
    private long _expanded;

    public IComponentOutput Output { get; } = output;

    public ParseLimits Limits { get; } = limits;

    public string? CsvDelimiter { get; } = csvDelimiter;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Counts one more archive entry or attachment of <paramref name="claimedSize"/> bytes (−1: unknown) in <paramref name="container"/>.</summary>
    public void TakeEntry(string container, long claimedSize)
    {
        if (++_entries > Limits.MaxEntries)
        {
            throw new DocumentParseException(Invariant($"parse: \"{container}\" holds more than {Limits.MaxEntries} entries; the object was not read further (limit maxEntries)"));
        }

        if (claimedSize > Limits.MaxExpandedBytes - _expanded)
        {
            throw new DocumentParseException(Invariant($"parse: \"{container}\" has an entry claiming {claimedSize} bytes, past the {Limits.MaxExpandedBytes} bytes the object may expand to (limit maxExpandedBytes)"));
        }
    }

    /// <summary>Reads <paramref name="stream"/> whole, charging what it yields to the expansion budget.</summary>
    public byte[] ReadBounded(Stream stream, string container)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            CancellationToken.ThrowIfCancellationRequested();
            _expanded += read;
            if (_expanded > Limits.MaxExpandedBytes)
            {
                throw new DocumentParseException(Invariant($"parse: \"{container}\" expands past {Limits.MaxExpandedBytes} bytes (a compression bomb?); the object was not read further (limit maxExpandedBytes)"));
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    public ValueTask TextAsync(string text) =>
        text.Length == 0 ? ValueTask.CompletedTask : Output.EmitAsync(LaneNames.Text, new TextPayload(text), CancellationToken);

    public ValueTask TableAsync(TablePayload table) => Output.EmitAsync(LaneNames.Table, table, CancellationToken);

    public ValueTask DocumentsAsync(IReadOnlyList<Document> documents) =>
        documents.Count == 0 ? ValueTask.CompletedTask : Output.EmitAsync(LaneNames.Documents, new DocumentsPayload(documents), CancellationToken);

    public ValueTask MediaAsync(string lane, MediaPayload media) => Output.EmitAsync(lane, media, CancellationToken);

    /// <summary>Metadata naming the part: the object or entry name and the part's kind.</summary>
    public static JsonObject Meta(DocumentPart part, string kind) => new() { ["source"] = part.Name, ["type"] = kind };

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The object, or a part of it (an archive entry, an attachment): its name, declared type, bytes and depth.</summary>
internal sealed record DocumentPart(string Name, string MimeType, ReadOnlyMemory<byte> Bytes, int Depth);
