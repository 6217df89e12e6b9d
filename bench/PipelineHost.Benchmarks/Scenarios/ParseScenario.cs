using System.Diagnostics;
using System.Text.Json.Nodes;
using DocumentFormat.OpenXml.Packaging;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using Word = DocumentFormat.OpenXml.Wordprocessing;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>
/// Scenario: <c>parse</c> on PDF and DOCX, in process, against the same library called directly on the same bytes
/// doing the same reading (every page's text and images; every paragraph's text). What the component adds is
/// buffering, sniffing, the lane payloads and the per-page documents.
/// </summary>
public static class ParseScenario
{
    public const string Name = "parse";

    public static void Run(Report report, bool quick)
    {
        var pdf = Pdf(pages: 20);
        var docx = Docx(paragraphs: 200);
        var seconds = quick ? 1.5 : 5.0;
        var rounds = quick ? 3 : 5;
        var component = new ParseProvider().Create([], new ComponentEnvironment());

        var pdfSubject = new List<double>();
        var pdfBaseline = new List<double>();
        var docxSubject = new List<double>();
        var docxBaseline = new List<double>();
        Warm(component, pdf, docx);
        for (var round = 0; round < rounds; round++)
        {
            pdfBaseline.Add(20 * Rate(seconds, () => PdfDirect(pdf)));
            pdfSubject.Add(20 * Rate(seconds, () => ThroughParse(component, "report.pdf", "application/pdf", pdf)));
            docxBaseline.Add(Rate(seconds, () => DocxDirect(docx)));
            docxSubject.Add(Rate(seconds, () => ThroughParse(component, "memo.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx)));
            Console.WriteLine($"  round {round + 1}: PDF {pdfSubject[^1]:0} vs {pdfBaseline[^1]:0} pages/s, DOCX {docxSubject[^1]:0} vs {docxBaseline[^1]:0} objects/s");
        }

        report.Add(new ReportRow(Name, "PDF pages/s through parse (20 pages of 40 lines)", Stats.Median(pdfSubject), Stats.Median(pdfBaseline), "pages/s", 0.8, true, "in process"));
        report.Add(new ReportRow(Name, "DOCX objects/s through parse (200 paragraphs)", Stats.Median(docxSubject), Stats.Median(docxBaseline), "objects/s", 0.8, true, "in process"));
        report.Note(Name, $"In process, one thread. Subject: the `parse` component (as the worker runs it: begin, one write of the whole file on `tags`, close) "
            + "with an output that drops what it is given. Baseline: the library on the same bytes doing the same reading: PdfPig `PdfDocument.Open`, every "
            + "page's `Text` and `GetImages()` (PNG when it can, as parse does); OpenXml `WordprocessingDocument.Open` and every paragraph's `InnerText`. "
            + $"Files made by PdfPig's builder (text only) and OpenXml. {rounds} rounds of {seconds} s each, baseline then subject, medians.");
    }

    private static void Warm(IComponent component, byte[] pdf, byte[] docx)
    {
        for (var i = 0; i < 3; i++)
        {
            PdfDirect(pdf);
            DocxDirect(docx);
            ThroughParse(component, "w.pdf", "application/pdf", pdf);
            ThroughParse(component, "w.docx", "application/octet-stream", docx);
        }
    }

    private static double Rate(double seconds, Action action)
    {
        var count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            action();
            count++;
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    private static void ThroughParse(IComponent component, string name, string mime, byte[] bytes)
    {
        var processor = component.Begin(new ObjectContext(name, mime, Guid.NewGuid().ToString()));
        var output = new DroppingOutput();
        processor.WriteAsync(LaneNames.Tags, new BytesPayload(bytes), output, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        processor.CloseAsync(output, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    private static void PdfDirect(byte[] bytes)
    {
        using var document = PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true });
        foreach (var page in document.GetPages())
        {
            GC.KeepAlive(page.Text);
            foreach (var image in page.GetImages())
            {
                GC.KeepAlive(image.TryGetPng(out var png) ? png : image.RawMemory.ToArray());
            }
        }
    }

    private static void DocxDirect(byte[] bytes)
    {
        using var document = WordprocessingDocument.Open(new MemoryStream(bytes, writable: false), false);
        foreach (var paragraph in document.MainDocumentPart!.Document!.Body!.Descendants<Word.Paragraph>())
        {
            GC.KeepAlive(paragraph.InnerText);
        }
    }

    private static byte[] Pdf(int pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 0; i < pages; i++)
        {
            var page = builder.AddPage(PageSize.A4);
            for (var line = 0; line < 40; line++)
            {
                page.AddText($"Page {i + 1}, line {line + 1}: quarterly revenue grew while costs fell across all regions.", 10, new PdfPoint(40, 800 - (line * 18)), font);
            }
        }

        return builder.Build();
    }

    private static byte[] Docx(int paragraphs)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new Word.Document(new Word.Body(Enumerable.Range(1, paragraphs)
                .Select(i => new Word.Paragraph(new Word.Run(new Word.Text($"Paragraph {i}: the board reviewed the figures and agreed the plan."))))));
        }

        return stream.ToArray();
    }

    private sealed class DroppingOutput : IComponentOutput
    {
        public ValueTask EmitAsync(string lane, LanePayload payload, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Warn(string message)
        {
        }

        public void Count(string counter, long amount)
        {
        }

        public void FileWritten(string name, long size, string contentType)
        {
        }
    }
}
