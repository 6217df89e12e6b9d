using System.Text;
using System.Text.Json.Nodes;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using PipelineHost.Pipelines.Lanes;
using Drawing = DocumentFormat.OpenXml.Drawing;
using Word = DocumentFormat.OpenXml.Wordprocessing;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// Word, Excel and PowerPoint files with DocumentFormat.OpenXml: a document's paragraphs as its text; each
/// sheet as a table (first row as the columns) and as tab-separated text; each slide's text. One
/// <c>documents</c> item per document, sheet or slide carries the package's title and author.
/// </summary>
internal static class OfficeReader
{
    public static async ValueTask ReadAsync(DocumentPart part, DocumentType type, ParseSession session)
    {
        // OpenXml reads parts lazily from this stream; the limit stops a part that inflates without end.
        var settings = new OpenSettings { MaxCharactersInPart = session.Limits.MaxExpandedBytes };
        var stream = new MemoryStream(part.Bytes.ToArray(), writable: false);
        try
        {
            switch (type)
            {
                case DocumentType.Docx:
                    await DocxAsync(part, stream, settings, session).ConfigureAwait(false);
                    break;
                case DocumentType.Xlsx:
                    await XlsxAsync(part, stream, settings, session).ConfigureAwait(false);
                    break;
                default:
                    await PptxAsync(part, stream, settings, session).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or FormatException or InvalidDataException or System.Xml.XmlException or IOException or InvalidOperationException)
        {
            throw new DocumentParseException($"parse: \"{part.Name}\" is not a readable {type.ToString().ToUpperInvariant()} file (damaged, encrypted or too large)", ex);
        }
    }

    private static async ValueTask DocxAsync(DocumentPart part, Stream stream, OpenSettings settings, ParseSession session)
    {
        using var document = WordprocessingDocument.Open(stream, false, settings);
        var text = new StringBuilder();
        foreach (var paragraph in document.MainDocumentPart?.Document?.Body?.Descendants<Word.Paragraph>() ?? [])
        {
            text.Append(paragraph.InnerText).Append('\n');
        }

        var body = text.ToString().TrimEnd('\n');
        await session.TextAsync(body).ConfigureAwait(false);
        await session.DocumentsAsync([new Document(body, Meta(part, "docx", document))]).ConfigureAwait(false);
    }

    private static async ValueTask XlsxAsync(DocumentPart part, Stream stream, OpenSettings settings, ParseSession session)
    {
        using var document = SpreadsheetDocument.Open(stream, false, settings);
        var workbook = document.WorkbookPart;
        var strings = workbook?.SharedStringTablePart?.SharedStringTable?.Elements<SharedStringItem>().Select(s => s.InnerText).ToArray() ?? [];
        var documents = new List<Document>();
        foreach (var sheet in workbook?.Workbook?.Sheets?.Elements<Sheet>() ?? [])
        {
            if (sheet.Id?.Value is not { } id || workbook!.GetPartById(id) is not WorksheetPart worksheet)
            {
                continue;
            }

            var rows = new List<string?[]>();
            foreach (var row in worksheet.Worksheet?.Descendants<Row>() ?? [])
            {
                var cells = new List<string?>();
                foreach (var cell in row.Elements<Cell>())
                {
                    var column = ColumnIndex(cell.CellReference?.Value) ?? cells.Count;
                    while (cells.Count < column)
                    {
                        cells.Add(null);
                    }

                    cells.Add(CellText(cell, strings));
                }

                rows.Add([.. cells]);
            }

            var table = ToTable(rows);
            var name = sheet.Name?.Value ?? id;
            var text = string.Join('\n', rows.Select(r => string.Join('\t', r.Select(c => c ?? string.Empty))));
            await session.TableAsync(table).ConfigureAwait(false);
            await session.TextAsync(text).ConfigureAwait(false);
            var meta = Meta(part, "xlsx", document);
            meta["sheet"] = name;
            meta["rows"] = table.Rows.Count;
            documents.Add(new Document(text, meta));
        }

        await session.DocumentsAsync(documents).ConfigureAwait(false);
    }

    private static async ValueTask PptxAsync(DocumentPart part, Stream stream, OpenSettings settings, ParseSession session)
    {
        using var document = PresentationDocument.Open(stream, false, settings);
        var presentation = document.PresentationPart;
        var documents = new List<Document>();
        var number = 0;
        foreach (var slideId in presentation?.Presentation?.SlideIdList?.Elements<DocumentFormat.OpenXml.Presentation.SlideId>() ?? [])
        {
            if (slideId.RelationshipId?.Value is not { } id || presentation!.GetPartById(id) is not SlidePart slide)
            {
                continue;
            }

            number++;
            var text = string.Join('\n', slide.Slide?.Descendants<Drawing.Paragraph>().Select(p => p.InnerText).Where(t => t.Length > 0) ?? []);
            await session.TextAsync(text).ConfigureAwait(false);
            var meta = Meta(part, "pptx", document);
            meta["slide"] = number;
            documents.Add(new Document(text, meta));
        }

        foreach (var document2 in documents)
        {
            document2.Metadata["slideCount"] = number;
        }

        await session.DocumentsAsync(documents).ConfigureAwait(false);
    }

    private static TablePayload ToTable(List<string?[]> rows)
    {
        if (rows.Count == 0)
        {
            return new TablePayload([], []);
        }

        var width = rows.Max(r => r.Length);
        var columns = Enumerable.Range(0, width).Select(i => i < rows[0].Length && rows[0][i] is { Length: > 0 } c ? c : ColumnName(i)).ToList();
        var data = rows.Skip(1).Select(r => (IReadOnlyList<string?>)Enumerable.Range(0, width).Select(i => i < r.Length ? r[i] : null).ToList()).ToList();
        return new TablePayload(columns, data);
    }

    private static string? CellText(Cell cell, string[] strings)
    {
        var value = cell.CellValue?.Text ?? cell.InnerText;
        if (cell.DataType?.Value == CellValues.SharedString && int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return index >= 0 && index < strings.Length ? strings[index] : null;
        }

        if (cell.DataType?.Value == CellValues.Boolean)
        {
            return value == "1" ? "TRUE" : "FALSE";
        }

        return value.Length == 0 ? null : value;
    }

    // "C7" → 2: the column letters of a cell reference, zero-based.
    private static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference) || !char.IsAsciiLetter(reference[0]))
        {
            return null;
        }

        var index = 0;
        foreach (var c in reference.TakeWhile(char.IsAsciiLetter))
        {
            index = (index * 26) + (char.ToUpperInvariant(c) - 'A' + 1);
        }

        return index - 1;
    }

    private static string ColumnName(int index)
    {
        var name = string.Empty;
        for (index++; index > 0; index = (index - 1) / 26)
        {
            name = (char)('A' + ((index - 1) % 26)) + name;
        }

        return name;
    }

    private static JsonObject Meta(DocumentPart part, string kind, OpenXmlPackage package)
    {
        var meta = ParseSession.Meta(part, kind);
        var properties = package.PackageProperties;
        if (!string.IsNullOrEmpty(properties.Title))
        {
            meta["title"] = properties.Title;
        }

        if (!string.IsNullOrEmpty(properties.Creator))
        {
            meta["author"] = properties.Creator;
        }

        return meta;
    }
}
