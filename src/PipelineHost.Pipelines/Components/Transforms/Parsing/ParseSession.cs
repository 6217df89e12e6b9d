using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>How far <c>parse</c> follows archives and attachments before it ends the object with an error.</summary>
/// <param name="MaxEntries">The most archive entries and attachments one object may hold, all levels together.</param>
/// <param name="MaxExpandedBytes">The most bytes those may expand to, all levels together.</param>
/// <param name="MaxDepth">How many archives or messages deep parsing goes (1: the entries of the object itself).</param>
/// <param name="MaxRatio">The most times an archive's entries may expand its own size, once past <see cref="RatioGraceBytes"/>.</param>
public sealed record ParseLimits(int MaxEntries, long MaxExpandedBytes, int MaxDepth, int MaxRatio)
{
    /// <summary>
    /// What an archive may expand to before its ratio is checked: small archives of very repetitive text are
    /// legitimately compressed far past any sane ratio, and cost nothing to expand.
    /// </summary>
    public const long RatioGraceBytes = 1024 * 1024;

    /// <summary>1000 entries, 256 MiB expanded, 3 levels, 100 times (Apache POI's zip-bomb ratio).</summary>
    public static ParseLimits Default { get; } = new(1000, 256L * 1024 * 1024, 3, 100);
}

/// <summary>An object <c>parse</c> cannot read: the message says which object and why, and ends that object only.</summary>
public sealed class DocumentParseException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the objects found inside one object sent by a client or source have used of the limits, all levels together.</summary>
internal sealed class ParseBudget
{
    public int Entries { get; set; }

    public long Expanded { get; set; }
}

/// <summary>
/// One object being parsed: where its results and child objects go, the budget it shares with the objects it
/// came from and those inside it, and how deep it is. Archive entries and attachments become child objects
/// (<see cref="IComponentOutput.EmitObjectAsync"/>), parsed by this same component in their own run.
/// </summary>
internal sealed class ParseSession(ObjectContext context, IComponentOutput output, ParseLimits limits, ParseBudget budget, string? csvDelimiter, CancellationToken cancellationToken)
{
    public ObjectContext Context { get; } = context;

    public IComponentOutput Output { get; } = output;

    public ParseLimits Limits { get; } = limits;

    public string? CsvDelimiter { get; } = csvDelimiter;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Counts one more archive entry or attachment of <paramref name="claimedSize"/> bytes (−1: unknown) in <paramref name="container"/>.</summary>
    /// <exception cref="ObjectLimitException">Past <see cref="ParseLimits.MaxEntries"/>, <see cref="ParseLimits.MaxExpandedBytes"/> or <see cref="ParseLimits.MaxDepth"/>.</exception>
    public void TakeEntry(string container, long claimedSize)
    {
        if (Context.Depth + 1 > Limits.MaxDepth)
        {
            throw new ObjectLimitException(Invariant($"parse: \"{container}\" nests archives or messages more than {Limits.MaxDepth} deep; the object was not read further (limit maxDepth)"));
        }

        if (++budget.Entries > Limits.MaxEntries)
        {
            throw new ObjectLimitException(Invariant($"parse: \"{container}\" holds more than {Limits.MaxEntries} entries; the object was not read further (limit maxEntries)"));
        }

        if (claimedSize > Limits.MaxExpandedBytes - budget.Expanded)
        {
            throw new ObjectLimitException(Invariant($"parse: \"{container}\" has an entry claiming {claimedSize} bytes, past the {Limits.MaxExpandedBytes} bytes the object may expand to (limit maxExpandedBytes)"));
        }
    }

    /// <summary>
    /// Reads <paramref name="stream"/> whole, charging what it yields to the expansion budget and to
    /// <paramref name="containerExpanded"/>, what <paramref name="container"/> of <paramref name="containerSize"/>
    /// bytes has expanded to so far (its ratio limit).
    /// </summary>
    /// <exception cref="ObjectLimitException">Past <see cref="ParseLimits.MaxExpandedBytes"/> or <see cref="ParseLimits.MaxRatio"/>.</exception>
    public byte[] ReadBounded(Stream stream, string container, long containerSize, ref long containerExpanded)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            CancellationToken.ThrowIfCancellationRequested();
            budget.Expanded += read;
            containerExpanded += read;
            if (budget.Expanded > Limits.MaxExpandedBytes)
            {
                throw new ObjectLimitException(Invariant($"parse: \"{container}\" expands past {Limits.MaxExpandedBytes} bytes (a compression bomb?); the object was not read further (limit maxExpandedBytes)"));
            }

            if (containerExpanded > ParseLimits.RatioGraceBytes && containerExpanded > (long)Limits.MaxRatio * Math.Max(containerSize, 1))
            {
                throw new ObjectLimitException(Invariant($"parse: \"{container}\" expands to more than {Limits.MaxRatio} times its {containerSize} bytes (a compression bomb?); the object was not read further (limit maxRatio)"));
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    /// <summary>
    /// Sends an entry or attachment named <paramref name="entryName"/> inside <paramref name="container"/> on as a
    /// child object named <c>container/entryName</c>; an empty one is skipped.
    /// </summary>
    public ValueTask ChildAsync(DocumentPart container, string entryName, string mimeType, byte[] bytes, string kind)
    {
        if (bytes.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        var name = $"{container.Name}/{entryName}";
        var metadata = new JsonObject { ["name"] = name, ["size"] = bytes.Length, ["container"] = container.Name, ["entry"] = entryName, ["kind"] = kind };
        return Output.EmitObjectAsync(new ChildObject(name, mimeType, bytes, metadata), CancellationToken);
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

/// <summary>The object being parsed: its name, declared type and bytes.</summary>
internal sealed record DocumentPart(string Name, string MimeType, ReadOnlyMemory<byte> Bytes);
