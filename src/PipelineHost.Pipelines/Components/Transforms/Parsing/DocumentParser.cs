using System.Text;
using System.Xml;
using PipelineHost.Pipelines.Lanes;
using SkiaSharp;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>Reads one object or part with the reader its <see cref="DocumentType"/> calls for.</summary>
internal static class DocumentParser
{
    /// <summary>Parses <paramref name="part"/>; returns false when nothing could read it (the caller decides what then).</summary>
    /// <exception cref="DocumentParseException">The part is damaged or encrypted.</exception>
    /// <exception cref="ObjectLimitException">Its entries or attachments are past a limit.</exception>
    public static async ValueTask<bool> ParseAsync(DocumentPart part, ParseSession session)
    {
        session.CancellationToken.ThrowIfCancellationRequested();
        var head = part.Bytes.Span[..Math.Min(part.Bytes.Length, 4096)];
        var type = DocumentSniffer.Detect(part.MimeType, part.Name, head);
        if (type == DocumentType.Archive && head.StartsWith("PK"u8))
        {
            type = DocumentSniffer.OfficeKind(part.Bytes);
        }

        try
        {
            return await ReadAsync(part, type, session).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not DocumentParseException and not ObjectLimitException and not Runtime.ComponentFailureException and not OperationCanceledException and not OutOfMemoryException)
        {
            // A reader's own failure the readers do not name: still one clear message for this object.
            throw new DocumentParseException($"parse: \"{part.Name}\" could not be read as {type} ({ex.GetType().Name})", ex);
        }
    }

    private static async ValueTask<bool> ReadAsync(DocumentPart part, DocumentType type, ParseSession session)
    {
        switch (type)
        {
            case DocumentType.Text:
            case DocumentType.Json:
                await session.TextAsync(TextDecoding.Decode(part.Bytes.Span).Text).ConfigureAwait(false);
                return true;
            case DocumentType.Markdown:
                await session.TextAsync(Markdig.Markdown.ToPlainText(TextDecoding.Decode(part.Bytes.Span).Text).TrimEnd()).ConfigureAwait(false);
                return true;
            case DocumentType.Xml:
                await session.TextAsync(XmlText(part)).ConfigureAwait(false);
                return true;
            case DocumentType.Html:
                await session.TextAsync(HtmlReader.ToText(part.Bytes)).ConfigureAwait(false);
                return true;
            case DocumentType.Csv:
                await CsvTableReader.ReadAsync(part, session).ConfigureAwait(false);
                return true;
            case DocumentType.Pdf:
                await PdfReader.ReadAsync(part, session).ConfigureAwait(false);
                return true;
            case DocumentType.Docx:
            case DocumentType.Xlsx:
            case DocumentType.Pptx:
                await OfficeReader.ReadAsync(part, type, session).ConfigureAwait(false);
                return true;
            case DocumentType.Email:
                await EmailReader.ReadAsync(part, session).ConfigureAwait(false);
                return true;
            case DocumentType.Archive:
                await ArchiveReader.ReadAsync(part, session).ConfigureAwait(false);
                return true;
            case DocumentType.Image:
                await session.MediaAsync(LaneNames.Image, Image(part)).ConfigureAwait(false);
                return true;
            case DocumentType.Audio:
            case DocumentType.Video:
                var meta = ParseSession.Meta(part, type == DocumentType.Audio ? "audio" : "video");
                await session.MediaAsync(type == DocumentType.Audio ? LaneNames.Audio : LaneNames.Video, new MediaPayload(part.MimeType, part.Bytes, meta)).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    /// <summary>An image with its dimensions, read from its header by SkiaSharp without decoding the pixels.</summary>
    private static MediaPayload Image(DocumentPart part)
    {
        var mime = DocumentSniffer.ImageMime(part.Bytes.Span, part.MimeType);
        var meta = ParseSession.Meta(part, "image");
        using (var data = SKData.CreateCopy(part.Bytes.Span))
        using (var codec = SKCodec.Create(data))
        {
            if (codec is null)
            {
                throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable image ({mime})");
            }

            meta["width"] = codec.Info.Width;
            meta["height"] = codec.Info.Height;
        }

        return new MediaPayload(mime, part.Bytes, meta);
    }

    /// <summary>
    /// The text content of an XML document. Entities expand only up to a limit and nothing external is fetched,
    /// so a "billion laughs" document ends with an error instead of exhausting memory.
    /// </summary>
    private static string XmlText(DocumentPart part)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Parse,
            MaxCharactersFromEntities = 1024 * 1024,
            MaxCharactersInDocument = 256L * 1024 * 1024,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        var text = new StringBuilder();
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(part.Bytes.ToArray(), writable: false), settings);
            while (reader.Read())
            {
                if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA)
                {
                    var value = reader.Value.Trim();
                    if (value.Length > 0)
                    {
                        text.Append(text.Length > 0 ? "\n" : string.Empty).Append(value);
                    }
                }
            }
        }
        // The worker trims resource strings (UseSystemResourceKeys), so the library's message cannot tell which
        // limit tripped: a document that declares entities and fails is reported as the expansion it attempted.
        catch (XmlException ex) when (part.Bytes.Span.IndexOf("<!ENTITY"u8) >= 0)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\": its XML entities expand past {settings.MaxCharactersFromEntities} characters (a \"billion laughs\" document?); not read", ex);
        }
        catch (XmlException ex)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not well-formed XML (line {ex.LineNumber}, position {ex.LinePosition})", ex);
        }

        return text.ToString();
    }
}
