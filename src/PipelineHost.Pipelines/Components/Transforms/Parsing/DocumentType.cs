using System.IO.Compression;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>What <c>parse</c> reads an object as.</summary>
public enum DocumentType
{
    /// <summary>Nothing it can read: the bytes pass on <c>tags</c>.</summary>
    Unknown,
    /// <summary>Plain text in any common encoding.</summary>
    Text,
    /// <summary>JSON, passed as its text.</summary>
    Json,
    /// <summary>XML: its text content.</summary>
    Xml,
    /// <summary>Comma (or otherwise) separated values.</summary>
    Csv,
    /// <summary>HTML.</summary>
    Html,
    /// <summary>Markdown.</summary>
    Markdown,
    /// <summary>PDF.</summary>
    Pdf,
    /// <summary>Word (OpenXML).</summary>
    Docx,
    /// <summary>Excel (OpenXML).</summary>
    Xlsx,
    /// <summary>PowerPoint (OpenXML).</summary>
    Pptx,
    /// <summary>An e-mail message (RFC 822).</summary>
    Email,
    /// <summary>A ZIP, TAR or gzip archive.</summary>
    Archive,
    /// <summary>An image.</summary>
    Image,
    /// <summary>Audio.</summary>
    Audio,
    /// <summary>Video.</summary>
    Video,
}

/// <summary>
/// Decides what an object is: from its content when its first bytes are a known signature (a PDF sent as
/// <c>text/plain</c> is still a PDF), else from its MIME type, else from its name's extension, else whether it
/// reads as text.
/// </summary>
public static class DocumentSniffer
{
    private static readonly Dictionary<string, DocumentType> ByMime = new(StringComparer.Ordinal)
    {
        ["text/csv"] = DocumentType.Csv,
        ["text/tab-separated-values"] = DocumentType.Csv,
        ["text/html"] = DocumentType.Html,
        ["application/xhtml+xml"] = DocumentType.Html,
        ["text/markdown"] = DocumentType.Markdown,
        ["text/x-markdown"] = DocumentType.Markdown,
        ["application/json"] = DocumentType.Json,
        ["application/xml"] = DocumentType.Xml,
        ["text/xml"] = DocumentType.Xml,
        ["application/pdf"] = DocumentType.Pdf,
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = DocumentType.Docx,
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = DocumentType.Xlsx,
        ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = DocumentType.Pptx,
        ["message/rfc822"] = DocumentType.Email,
        ["application/zip"] = DocumentType.Archive,
        ["application/x-zip-compressed"] = DocumentType.Archive,
        ["application/x-tar"] = DocumentType.Archive,
        ["application/gzip"] = DocumentType.Archive,
        ["application/x-gzip"] = DocumentType.Archive,
        ["application/x-7z-compressed"] = DocumentType.Archive,
    };

    /// <summary>The type of an object named <paramref name="name"/>, declared <paramref name="mimeType"/>, starting with <paramref name="head"/>.</summary>
    public static DocumentType Detect(string mimeType, string name, ReadOnlySpan<byte> head)
    {
        ArgumentNullException.ThrowIfNull(mimeType);
        ArgumentNullException.ThrowIfNull(name);
        var declared = FromMime(mimeType);
        if (declared == DocumentType.Unknown || mimeType == MimeTypes.OctetStream)
        {
            var byName = FromMime(MimeTypes.FromFileName(name));
            declared = byName != DocumentType.Unknown ? byName : declared;
        }

        var sniffed = FromSignature(head);
        if (sniffed == DocumentType.Archive && declared is DocumentType.Docx or DocumentType.Xlsx or DocumentType.Pptx)
        {
            return declared; // an Office file is a ZIP: trust the declared kind, OfficeKind refines the rest
        }

        if (sniffed != DocumentType.Unknown)
        {
            return sniffed;
        }

        if (declared is DocumentType.Pdf or DocumentType.Docx or DocumentType.Xlsx or DocumentType.Pptx or DocumentType.Archive)
        {
            // Declared binary but without the signature: read it anyway, so the reader names what is wrong.
            return declared;
        }

        if (declared != DocumentType.Unknown)
        {
            return declared;
        }

        return TextDecoding.LooksLikeText(head) ? DocumentType.Text : DocumentType.Unknown;
    }

    private static DocumentType FromMime(string mimeType) =>
        ByMime.TryGetValue(mimeType, out var type) ? type
        : mimeType.StartsWith("image/", StringComparison.Ordinal) ? DocumentType.Image
        : mimeType.StartsWith("audio/", StringComparison.Ordinal) ? DocumentType.Audio
        : mimeType.StartsWith("video/", StringComparison.Ordinal) ? DocumentType.Video
        : mimeType.StartsWith("text/", StringComparison.Ordinal) ? DocumentType.Text
        : DocumentType.Unknown;

    private static DocumentType FromSignature(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("%PDF-"u8))
        {
            return DocumentType.Pdf;
        }

        if (head.StartsWith("PK\x03\x04"u8))
        {
            return DocumentType.Archive; // refined to an Office type by OfficeKind once the whole object is here
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) || (head.Length > 262 && head[257..262].SequenceEqual("ustar"u8)) || head.StartsWith(ArchiveReader.SevenZipSignature))
        {
            return DocumentType.Archive;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
            || head.StartsWith("GIF8"u8) || (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)))
        {
            return DocumentType.Image;
        }

        return DocumentType.Unknown;
    }

    /// <summary>For a ZIP: the Office type its parts say it is, or <see cref="DocumentType.Archive"/>.</summary>
    public static DocumentType OfficeKind(ReadOnlyMemory<byte> zip)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip.ToArray(), writable: false), ZipArchiveMode.Read);
            if (archive.GetEntry("[Content_Types].xml") is null)
            {
                return DocumentType.Archive;
            }

            foreach (var entry in archive.Entries)
            {
                if (entry.FullName.StartsWith("word/", StringComparison.Ordinal))
                {
                    return DocumentType.Docx;
                }

                if (entry.FullName.StartsWith("xl/", StringComparison.Ordinal))
                {
                    return DocumentType.Xlsx;
                }

                if (entry.FullName.StartsWith("ppt/", StringComparison.Ordinal))
                {
                    return DocumentType.Pptx;
                }
            }
        }
        catch (InvalidDataException)
        {
            // Not a readable ZIP directory: the archive reader says what is wrong.
        }

        return DocumentType.Archive;
    }

    /// <summary>The MIME type to report for an image from its signature, or <paramref name="fallback"/>.</summary>
    public static string ImageMime(ReadOnlySpan<byte> head, string fallback) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "image/png"
        : head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "image/jpeg"
        : head.StartsWith("GIF8"u8) ? "image/gif"
        : head.Length >= 12 && head[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : fallback.StartsWith("image/", StringComparison.Ordinal) ? fallback : "image/unknown";

}
