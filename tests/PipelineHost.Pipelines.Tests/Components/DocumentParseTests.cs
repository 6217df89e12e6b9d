using System.Text;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Components.Transforms.Parsing;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Tests.Corpus;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary><c>parse</c> on real documents made by the libraries that write them, and on hostile ones.</summary>
public sealed class DocumentParseTests
{
    private readonly ParseProvider _provider = new();

    private Task<RecordingOutput> Parse(string name, string mime, byte[] bytes, string config = "{}") =>
        ComponentHarness.RunItems(_provider, config, mime, [(LaneNames.Tags, new BytesPayload(bytes))],
            context: new ObjectContext(name, mime, Guid.NewGuid().ToString()));

    private async Task<string> Failure(string name, string mime, byte[] bytes, string config = "{}") =>
        (await Assert.ThrowsAnyAsync<Exception>(() => Parse(name, mime, bytes, config))).Message;

    [Fact]
    public async Task A_pdf_gives_text_per_page_page_documents_with_metadata_and_its_embedded_image()
    {
        var output = await Parse("report.pdf", "application/pdf", DocumentCorpus.Pdf("First page words", "Second page words"));

        Assert.Equal(["First page words", "Second page words"], output.Texts);
        Assert.Equal(2, output.Documents.Count);
        var first = output.Documents[0].Metadata;
        Assert.Equal(1, first["page"]!.GetValue<int>());
        Assert.Equal(2, first["pageCount"]!.GetValue<int>());
        Assert.Equal("Corpus PDF", first["title"]!.GetValue<string>());
        Assert.Equal("PipelineHost tests", first["author"]!.GetValue<string>());
        Assert.Equal(2, output.Documents[1].Metadata["page"]!.GetValue<int>());
        var image = Assert.IsType<MediaPayload>(Assert.Single(output.On(LaneNames.Image)));
        Assert.Equal(4, image.Metadata["width"]!.GetValue<int>());
        Assert.Equal(3, image.Metadata["height"]!.GetValue<int>());
        Assert.Equal(1, image.Metadata["page"]!.GetValue<int>());
        Assert.Equal(2, output.Counter("pagesProcessed"));
    }

    [Fact]
    public async Task A_pdf_sent_as_text_plain_or_octet_stream_is_still_read_as_a_pdf()
    {
        var pdf = DocumentCorpus.Pdf(false, "Sniffed by content");
        Assert.Equal(["Sniffed by content"], (await Parse("x", "text/plain", pdf)).Texts);
        Assert.Equal(["Sniffed by content"], (await Parse("x", "application/octet-stream", pdf)).Texts);
    }

    [Fact]
    public async Task A_docx_gives_its_paragraphs_and_properties()
    {
        var output = await Parse("memo.docx", "application/octet-stream", DocumentCorpus.Docx("Dear team,", "The figures are in."));

        Assert.Equal(["Dear team,\nThe figures are in."], output.Texts);
        var meta = Assert.Single(output.Documents).Metadata;
        Assert.Equal("docx", meta["type"]!.GetValue<string>());
        Assert.Equal("Corpus DOCX", meta["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_xlsx_gives_a_table_and_text_per_sheet()
    {
        var xlsx = DocumentCorpus.Xlsx(("People", [["name", "city"], ["Ann", "Oslo"], ["Bob", "Rome"]]), ("Empty", []));
        var output = await Parse("book.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx);

        var table = Assert.IsType<TablePayload>(output.On(LaneNames.Table)[0]);
        Assert.Equal(["name", "city"], table.Columns);
        Assert.Equal([["Ann", "Oslo"], ["Bob", "Rome"]], table.Rows.Select(r => r.ToArray()));
        Assert.Equal("name\tcity\nAnn\tOslo\nBob\tRome", output.Texts[0]);
        Assert.Equal(["People", "Empty"], output.Documents.Select(d => d.Metadata["sheet"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_pptx_gives_text_per_slide()
    {
        var output = await Parse("deck.pptx", "", DocumentCorpus.Pptx("Welcome", "Agenda"));

        Assert.Equal(["Welcome", "Agenda"], output.Texts);
        Assert.Equal([1, 2], output.Documents.Select(d => d.Metadata["slide"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Html_markdown_and_xml_give_their_text()
    {
        Assert.Equal(["Title\n\nHello world"], (await Parse("p.html", "text/html", "<html><head><title>Title</title></head><body><p>Hello <b>world</b></p><script>x()</script></body></html>"u8.ToArray())).Texts);
        Assert.Equal(["Heading\nA link and code"], (await Parse("r.md", "text/markdown", "# Heading\n\nA [link](http://x) and `code`"u8.ToArray())).Texts);
        Assert.Equal(["one\ntwo"], (await Parse("d.xml", "application/xml", "<a><b>one</b><c><![CDATA[two]]></c></a>"u8.ToArray())).Texts);
    }

    [Fact]
    public async Task Text_in_utf16_and_windows_1252_is_decoded()
    {
        Assert.Equal(["héllo wörld"], (await Parse("u16.txt", "text/plain", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("héllo wörld")])).Texts);
        Assert.Equal(["héllo wörld"], (await Parse("u16be.txt", "text/plain", Encoding.BigEndianUnicode.GetBytes("héllo wörld"))).Texts);
        Assert.Equal(["café – naïve"], (await Parse("legacy.txt", "text/plain", [0x63, 0x61, 0x66, 0xE9, 0x20, 0x96, 0x20, 0x6E, 0x61, 0xEF, 0x76, 0x65])).Texts);
    }

    [Fact]
    public async Task Csv_delimiter_is_detected_and_legacy_encoding_decoded()
    {
        var output = await Parse("semi.csv", "text/csv", [.. "name;city\nZoë;Köln\n"u8.ToArray().Take(0), .. Encoding.Latin1.GetBytes("name;city\nZo\u00EB;K\u00F6ln\n")]);

        Assert.Equal(["name", "city"], output.Table.Columns);
        Assert.Equal(["Zoë", "Köln"], Assert.Single(output.Table.Rows));
    }

    [Fact]
    public async Task Images_go_to_the_image_lane_with_dimensions_and_media_to_their_lanes()
    {
        var image = Assert.IsType<MediaPayload>(Assert.Single((await Parse("pic", "application/octet-stream", DocumentCorpus.Png(7, 5))).On(LaneNames.Image)));
        Assert.Equal(("image/png", 7, 5), (image.MimeType, image.Metadata["width"]!.GetValue<int>(), image.Metadata["height"]!.GetValue<int>()));

        var audio = Assert.IsType<MediaPayload>(Assert.Single((await Parse("a.mp3", "audio/mpeg", [1, 2, 3])).On(LaneNames.Audio)));
        Assert.Equal(("audio/mpeg", 3L), (audio.MimeType, audio.Size));
        var video = Assert.IsType<MediaPayload>(Assert.Single((await Parse("v.mp4", "video/mp4", [1, 2])).On(LaneNames.Video)));
        Assert.Equal(("video/mp4", 2L), (video.MimeType, video.Size));
    }

    [Fact]
    public async Task Hostile_documents_each_end_with_a_clear_error()
    {
        Assert.Contains("\"cut.pdf\" is not a readable PDF", await Failure("cut.pdf", "application/pdf", DocumentCorpus.TruncatedPdf()), StringComparison.Ordinal);
        Assert.Contains("\"locked.pdf\" is an encrypted PDF", await Failure("locked.pdf", "application/pdf", DocumentCorpus.EncryptedPdf()), StringComparison.Ordinal);
        Assert.Contains("\"bomb.zip\" has an entry claiming 314572800 bytes, past the 268435456", await Failure("bomb.zip", "application/zip", DocumentCorpus.ZipBomb()), StringComparison.Ordinal);
        Assert.Contains("\"bomb.gz\" expands past 10485760 bytes", await Failure("bomb.gz", "application/gzip", DocumentCorpus.GzipBomb(20L << 20), """{"maxExpandedBytes":10485760,"maxRatio":100000}"""), StringComparison.Ordinal);
        Assert.Contains("\"lol.xml\": its XML entities expand past", await Failure("lol.xml", "application/xml", DocumentCorpus.BillionLaughs()), StringComparison.Ordinal);
        Assert.Contains("\"huge.tar\" has an entry claiming 2147483648 bytes", await Failure("huge.tar", "application/x-tar", DocumentCorpus.TarClaiming2GiB()), StringComparison.Ordinal);
        Assert.Contains("\"bad.docx\" is not a readable DOCX", await Failure("bad.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DocumentCorpus.Docx("x")[..200]), StringComparison.Ordinal);
    }
}
