using SharpCompress.Archives.SevenZip;
using SharpCompress.Common;
using SharpCompress.Readers;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// ZIP, TAR, gzip (also .tar.gz) and 7z with SharpCompress, read forward only: each file entry becomes a child object
/// (<see cref="ParseSession.ChildAsync"/>). Entries count against <see cref="ParseLimits.MaxEntries"/>, their
/// expanded bytes (claimed and actual) against <see cref="ParseLimits.MaxExpandedBytes"/> and
/// <see cref="ParseLimits.MaxRatio"/>, and archives inside archives against <see cref="ParseLimits.MaxDepth"/>:
/// a compression bomb ends the object with an error, never the worker. Every entry is read and checked before
/// the first child runs, so a hostile archive fails without any of its entries having gone down the pipeline.
/// </summary>
internal static class ArchiveReader
{
    /// <summary>The first bytes of a 7z archive.</summary>
    public static ReadOnlySpan<byte> SevenZipSignature => [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C];

    public static async ValueTask ReadAsync(DocumentPart part, ParseSession session)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        long expanded = 0;
        try
        {
            var input = new MemoryStream(part.Bytes.ToArray(), writable: false);
            var options = new ReaderOptions { LeaveStreamOpen = false };

            // 7z has no forward-only reader: its index sits at the end. The archive reads its entries in order.
            using var sevenZip = part.Bytes.Span.StartsWith(SevenZipSignature) ? SevenZipArchive.OpenArchive(input, options) : null;
            using var reader = sevenZip is null ? ReaderFactory.OpenReader(input, options) : sevenZip.ExtractAllEntries();
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

                var name = EntryPath(part.Name, entry.Key);
                session.TakeEntry(part.Name, entry.Size);
                using var stream = reader.OpenEntryStream();
                entries.Add((name, session.ReadBounded(stream, part.Name, part.Bytes.Length, ref expanded)));
            }
        }
        catch (Exception ex) when (ex is InvalidFormatException or ArchiveException or InvalidDataException or EndOfStreamException or IOException or NotSupportedException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable archive (truncated, damaged or of an unsupported kind)", ex);
        }

        foreach (var (name, bytes) in entries)
        {
            await session.ChildAsync(part, name, MimeTypes.FromFileName(name), bytes, "entry").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The entry's path inside the archive, with <c>\</c> read as <c>/</c> and empty and <c>.</c> segments
    /// dropped. A path that climbs out (<c>../</c>) or is absolute is refused: it names no place inside the
    /// archive, and a sink writing children by name must never be led outside its folder.
    /// </summary>
    /// <exception cref="DocumentParseException">The path is absolute or climbs out of the archive.</exception>
    public static string EntryPath(string container, string? key)
    {
        var raw = key ?? "entry";
        var segments = raw.Replace('\\', '/').Split('/');
        if (raw.StartsWith('/') || raw.StartsWith('\\') || (raw.Length > 1 && raw[1] == ':') || segments.Contains(".."))
        {
            throw new DocumentParseException($"parse: \"{container}\": entry \"{raw}\" has a path outside the archive (path traversal?); the object was not read");
        }

        var path = string.Join('/', segments.Where(s => s.Length > 0 && s != "."));
        return path.Length == 0 ? "entry" : path;
    }
}
