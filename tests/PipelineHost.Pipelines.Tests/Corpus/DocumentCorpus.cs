using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using MimeKit;
using SkiaSharp;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using Drawing = DocumentFormat.OpenXml.Drawing;
using Pres = DocumentFormat.OpenXml.Presentation;
using Sheet = DocumentFormat.OpenXml.Spreadsheet;
using Word = DocumentFormat.OpenXml.Wordprocessing;

namespace PipelineHost.Tests.Corpus;

/// <summary>
/// Small real documents made by the libraries that write them (PdfPig's builder, OpenXml, MimeKit, the
/// framework's ZIP and TAR writers), and hostile ones made by hand: what <c>parse</c> is tested on.
/// </summary>
public static class DocumentCorpus
{
    /// <summary>A PNG of <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static byte[] Png(int width = 3, int height = 2)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(SKColors.CornflowerBlue);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A PDF with one page per text, a title and author, and a PNG on the first page.</summary>
    public static byte[] Pdf(params string[] pages) => Pdf(withImage: true, pages);

    /// <summary>A PDF with one page per text; <paramref name="withImage"/> puts a PNG on the first page.</summary>
    public static byte[] Pdf(bool withImage, params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        builder.DocumentInformation.Title = "Corpus PDF";
        builder.DocumentInformation.Author = "PipelineHost tests";
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 0; i < pages.Length; i++)
        {
            var page = builder.AddPage(PageSize.A4);
            page.AddText(pages[i], 12, new PdfPoint(40, 700), font);
            if (i == 0 && withImage)
            {
                page.AddPng(Png(4, 3), new PdfRectangle(40, 500, 80, 530));
            }
        }

        return builder.Build();
    }

    /// <summary>The first half of a PDF: its cross-reference table and trailer are gone.</summary>
    public static byte[] TruncatedPdf()
    {
        var pdf = Pdf("A page that will be cut off.");
        return pdf[..(pdf.Length / 3)];
    }

    /// <summary>A PDF whose trailer names a standard security handler with a user password nobody knows.</summary>
    public static byte[] EncryptedPdf()
    {
        var o = new string('A', 64);
        var u = new string('B', 64);
        var body = new StringBuilder();
        var offsets = new List<int>();
        body.Append("%PDF-1.4\n");
        void Obj(string text)
        {
            offsets.Add(Encoding.ASCII.GetByteCount(body.ToString()));
            body.Append(text);
        }

        Obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        Obj("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        Obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n");
        Obj($"4 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <{o}> /U <{u}> /P -4 >>\nendobj\n");
        var xref = Encoding.ASCII.GetByteCount(body.ToString());
        body.Append("xref\n0 5\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            body.Append(offset.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        }

        body.Append($"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(body.ToString());
    }

    /// <summary>A Word document of <paramref name="paragraphs"/>.</summary>
    public static byte[] Docx(params string[] paragraphs)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new Word.Document(new Word.Body(paragraphs.Select(p => new Word.Paragraph(new Word.Run(new Word.Text(p))))));
            document.PackageProperties.Title = "Corpus DOCX";
            document.PackageProperties.Creator = "PipelineHost tests";
        }

        return stream.ToArray();
    }

    /// <summary>A workbook with one sheet per (name, rows), cells as inline strings.</summary>
    public static byte[] Xlsx(params (string Name, string[][] Rows)[] sheets)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, DocumentFormat.OpenXml.SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Sheet.Workbook();
            var list = workbook.Workbook.AppendChild(new Sheet.Sheets());
            uint id = 1;
            foreach (var (name, rows) in sheets)
            {
                var part = workbook.AddNewPart<WorksheetPart>();
                var data = new Sheet.SheetData();
                for (var r = 0; r < rows.Length; r++)
                {
                    var row = new Sheet.Row { RowIndex = (uint)(r + 1) };
                    for (var c = 0; c < rows[r].Length; c++)
                    {
                        row.Append(new Sheet.Cell
                        {
                            CellReference = $"{(char)('A' + c)}{r + 1}",
                            DataType = Sheet.CellValues.InlineString,
                            InlineString = new Sheet.InlineString(new Sheet.Text(rows[r][c])),
                        });
                    }

                    data.Append(row);
                }

                part.Worksheet = new Sheet.Worksheet(data);
                list.Append(new Sheet.Sheet { Id = workbook.GetIdOfPart(part), SheetId = id++, Name = name });
            }
        }

        return stream.ToArray();
    }

    /// <summary>A presentation with one slide per text.</summary>
    public static byte[] Pptx(params string[] slides)
    {
        using var stream = new MemoryStream();
        using (var document = PresentationDocument.Create(stream, DocumentFormat.OpenXml.PresentationDocumentType.Presentation))
        {
            var presentation = document.AddPresentationPart();
            var ids = new Pres.SlideIdList();
            uint id = 256;
            foreach (var text in slides)
            {
                var slide = presentation.AddNewPart<SlidePart>();
                slide.Slide = new Pres.Slide(new Pres.CommonSlideData(new Pres.ShapeTree(
                    new Pres.Shape(new Pres.TextBody(new Drawing.BodyProperties(), new Drawing.Paragraph(new Drawing.Run(new Drawing.Text(text))))))));
                ids.Append(new Pres.SlideId { Id = id++, RelationshipId = presentation.GetIdOfPart(slide) });
            }

            presentation.Presentation = new Pres.Presentation(ids);
        }

        return stream.ToArray();
    }

    /// <summary>An e-mail with a plain body and the given attachments.</summary>
    public static byte[] Eml(string body, params (string Name, string MimeType, byte[] Content)[] attachments)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ann Sender", "ann@example.com"));
        message.To.Add(new MailboxAddress("Bob Receiver", "bob@example.com"));
        message.Subject = "Quarterly figures";
        message.Date = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var builder = new BodyBuilder { TextBody = body };
        foreach (var (name, mime, content) in attachments)
        {
            builder.Attachments.Add(name, content, ContentType.Parse(mime));
        }

        message.Body = builder.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>A ZIP of (name, content) entries.</summary>
    public static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                entry.Write(content);
            }
        }

        return stream.ToArray();
    }

    /// <summary>A gzipped TAR of (name, content) entries.</summary>
    public static byte[] TarGz(params (string Name, byte[] Content)[] entries)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }

        return gz.ToArray();
    }

    /// <summary>
    /// A 7z of (name, content) entries, each stored (the Copy coder) in a folder of its own. Nothing in our
    /// registry writes 7z, so this writes the format's smallest valid form by hand, as 7-Zip's 7zFormat.txt gives it.
    /// </summary>
    public static byte[] SevenZip(params (string Name, byte[] Content)[] entries)
    {
        var header = new List<byte> { 0x01, 0x04, 0x06 }; // Header, MainStreamsInfo, PackInfo
        WriteNumber(header, 0); // packPos
        WriteNumber(header, entries.Length);
        header.Add(0x09); // Size
        foreach (var (_, content) in entries)
        {
            WriteNumber(header, content.Length);
        }

        header.AddRange([0x00, 0x07, 0x0B]); // End; UnPackInfo, Folder
        WriteNumber(header, entries.Length);
        header.Add(0x00); // not external
        foreach (var _ in entries)
        {
            header.AddRange([0x01, 0x01, 0x00]); // one coder; simple, 1-byte id; Copy
        }

        header.Add(0x0C); // CodersUnPackSize
        foreach (var (_, content) in entries)
        {
            WriteNumber(header, content.Length);
        }

        header.AddRange([0x00, 0x08, 0x00, 0x00, 0x05]); // End of UnPackInfo; SubStreamsInfo (one stream per folder); End of MainStreamsInfo; FilesInfo
        WriteNumber(header, entries.Length);
        var names = entries.SelectMany(e => Encoding.Unicode.GetBytes(e.Name + "\0")).ToArray();
        header.Add(0x11); // Name
        WriteNumber(header, names.Length + 1);
        header.Add(0x00); // not external
        header.AddRange(names);
        header.AddRange([0x00, 0x00]); // End of FilesInfo, of Header

        var packed = entries.SelectMany(e => e.Content).ToArray();
        var start = new byte[20];
        BitConverter.TryWriteBytes(start.AsSpan(0, 8), (long)packed.Length); // next header offset
        BitConverter.TryWriteBytes(start.AsSpan(8, 8), (long)header.Count);
        BitConverter.TryWriteBytes(start.AsSpan(16, 4), Crc32([.. header]));
        byte[] signature = [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04, .. BitConverter.GetBytes(Crc32(start)), .. start];
        return [.. signature, .. packed, .. header];

        static void WriteNumber(List<byte> to, long value)
        {
            // 7z's NUMBER: the first byte's leading ones count the little-endian bytes after it; its rest holds the top bits.
            if (value < 0x80)
            {
                to.Add((byte)value);
            }
            else if (value < 0x4000)
            {
                to.AddRange([(byte)(0x80 | (value >> 8)), (byte)value]);
            }
            else
            {
                to.AddRange([(byte)(0xE0 | (value >> 24)), (byte)value, (byte)(value >> 8), (byte)(value >> 16)]);
            }
        }

        static uint Crc32(byte[] data)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in data)
            {
                crc ^= b;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
                }
            }

            return ~crc;
        }
    }

    /// <summary>A ZIP whose one entry of zeros inflates to <paramref name="expandedBytes"/> (a few hundred KiB compressed per 256 MiB).</summary>
    public static byte[] ZipBomb(long expandedBytes = 300L * 1024 * 1024)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("zeros.txt", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (long written = 0; written < expandedBytes; written += zeros.Length)
            {
                entry.Write(zeros);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// A bare gzip of one repeated letter whose trailer lies that it inflates to 100 bytes (letters, not zeros: a
    /// gzip of zeros reads as an empty TAR, whose end is two zero blocks).
    /// </summary>
    public static byte[] GzipBomb(long expandedBytes)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            Array.Fill(zeros, (byte)'a');
            for (long written = 0; written < expandedBytes; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }

        var bytes = stream.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 4), 100); // ISIZE, little-endian
        return bytes;
    }

    /// <summary>A TAR whose one entry's header claims 2 GiB while the archive holds a few bytes.</summary>
    public static byte[] TarClaiming2GiB()
    {
        var header = new byte[512];
        Encoding.ASCII.GetBytes("huge.bin").CopyTo(header, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(header, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 116);
        Encoding.ASCII.GetBytes("20000000000\0").CopyTo(header, 124); // 2^31 in octal
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(header, 136);
        header[156] = (byte)'0';
        Encoding.ASCII.GetBytes("ustar\0").CopyTo(header, 257);
        Encoding.ASCII.GetBytes("00").CopyTo(header, 263);
        Encoding.ASCII.GetBytes("        ").CopyTo(header, 148);
        var sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        return [.. header, .. Encoding.ASCII.GetBytes("only a few bytes follow")];
    }

    /// <summary>The "billion laughs" XML: ten levels of ten entity references.</summary>
    public static byte[] BillionLaughs()
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
        for (var i = 1; i <= 9; i++)
        {
            xml.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat(i == 1 ? "&lol;" : $"&lol{i - 1};", 10))}\">\n");
        }

        xml.Append("]>\n<lolz>&lol9;</lolz>\n");
        return Encoding.UTF8.GetBytes(xml.ToString());
    }
}
