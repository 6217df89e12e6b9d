using PipelineHost.Pipelines.Lanes;
using SharpCompress.Common;
using SharpCompress.Readers;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// ZIP, TAR and gzip (also .tar.gz) with SharpCompress, read forward only: each file entry is parsed in line
/// as a part of the object. Entries count against <see cref="ParseLimits.MaxEntries"/>, their expanded bytes
/// (claimed and actual) against <see cref="ParseLimits.MaxExpandedBytes"/>, and archives inside archives against
/// <see cref="ParseLimits.MaxDepth"/>: a compression bomb ends the object with an error, never the worker.
/// </summary>
internal static class ArchiveReader
{
    public static async ValueTask ReadAsync(DocumentPart part, ParseSession session)
    {
        var entries = new List<DocumentPart>();
        try
        {
            using var reader = ReaderFactory.OpenReader(new MemoryStream(part.Bytes.ToArray(), writable: false), new ReaderOptions { LeaveStreamOpen = false });
            while (reader.MoveToNextEntry())
            {
                var entry = reader.Entry;
                if (entry.IsDirectory)
                {
                    continue;
                }

                if (entry.IsEncrypted)
                {
                    throw new DocumentParseException($"parse: \"{part.Name}\": entry \"{entry.Key}\" is encrypted; it cannot be read without its password");
                }

                session.TakeEntry(part.Name, entry.Size);
                using var stream = reader.OpenEntryStream();
                var bytes = session.ReadBounded(stream, part.Name);
                var name = entry.Key ?? "entry";
                entries.Add(new DocumentPart($"{part.Name}/{name}", MimeTypes.FromFileName(name), bytes, part.Depth + 1));
            }
        }
        catch (Exception ex) when (ex is InvalidFormatException or ArchiveException or InvalidDataException or EndOfStreamException or IOException or NotSupportedException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable archive (truncated, damaged or of an unsupported kind)", ex);
        }

        foreach (var entry in entries)
        {
            await ParseChildAsync(part, entry, session).ConfigureAwait(false);
        }
    }

    /// <summary>Parses <paramref name="child"/> of <paramref name="parent"/> in line; a part nothing can read is skipped with a warning.</summary>
    public static async ValueTask ParseChildAsync(DocumentPart parent, DocumentPart child, ParseSession session)
    {
        if (child.Depth > session.Limits.MaxDepth)
        {
            throw new DocumentParseException(ParseSession.Invariant($"parse: \"{parent.Name}\" nests archives or messages more than {session.Limits.MaxDepth} deep; the object was not read further (limit maxDepth)"));
        }

        if (child.Bytes.Length == 0)
        {
            return;
        }

        if (!await DocumentParser.ParseAsync(child, session).ConfigureAwait(false))
        {
            session.Output.Warn($"parse: \"{child.Name}\" has no parser ({child.MimeType}); skipped");
        }
    }
}
