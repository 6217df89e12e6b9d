using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Exceptions;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// PDF with PdfPig: each page's text on <c>text</c>, one <c>documents</c> item per page with the page number,
/// page count and the document's metadata, and the embedded images on <c>image</c>.
/// </summary>
internal static class PdfReader
{
    public static async ValueTask ReadAsync(DocumentPart part, ParseSession session)
    {
        PdfDocument document;
        try
        {
            document = PdfDocument.Open(part.Bytes.ToArray(), new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true });
        }
        catch (PdfDocumentEncryptedException ex)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is an encrypted PDF; it cannot be read without its password", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable PDF (truncated or damaged)", ex);
        }

        using (document)
        {
            var info = Info(document, part);
            var pages = new List<Document>();
            for (var number = 1; number <= document.NumberOfPages; number++)
            {
                session.CancellationToken.ThrowIfCancellationRequested();
                Page page;
                try
                {
                    page = document.GetPage(number);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    throw new DocumentParseException($"parse: \"{part.Name}\": page {number} of {document.NumberOfPages} is not readable (truncated or damaged)", ex);
                }

                var text = page.Text;
                var meta = (JsonObject)info.DeepClone();
                meta["page"] = number;
                pages.Add(new Document(text, meta));
                await session.TextAsync(text).ConfigureAwait(false);
                await ImagesAsync(page, number, part, session).ConfigureAwait(false);
            }

            session.Output.Count("pagesProcessed", document.NumberOfPages);
            await session.DocumentsAsync(pages).ConfigureAwait(false);
        }
    }

    private static JsonObject Info(PdfDocument document, DocumentPart part)
    {
        var meta = ParseSession.Meta(part, "pdf");
        meta["pageCount"] = document.NumberOfPages;
        var information = document.Information;
        Add(meta, "title", information.Title);
        Add(meta, "author", information.Author);
        Add(meta, "subject", information.Subject);
        Add(meta, "keywords", information.Keywords);
        Add(meta, "creator", information.Creator);
        Add(meta, "producer", information.Producer);
        Add(meta, "created", information.CreationDate);
        Add(meta, "modified", information.ModifiedDate);
        return meta;
    }

    private static void Add(JsonObject meta, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            meta[key] = value;
        }
    }

    private static async ValueTask ImagesAsync(Page page, int number, DocumentPart part, ParseSession session)
    {
        var index = 0;
        foreach (var image in page.GetImages())
        {
            index++;
            var meta = ParseSession.Meta(part, "image");
            meta["page"] = number;
            meta["index"] = index;
            meta["width"] = image.WidthInSamples;
            meta["height"] = image.HeightInSamples;
            var (mime, bytes) = image.TryGetPng(out var png) ? ("image/png", png) : ("image/jpeg", image.RawMemory.ToArray());
            await session.MediaAsync(LaneNames.Image, new MediaPayload(mime, bytes, meta)).ConfigureAwait(false);
        }
    }
}
