using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary>Images made for the tests: drawn with SkiaSharp, or a PNG header that lies about its size.</summary>
internal static class TestImages
{
    /// <summary>A white PNG of <paramref name="width"/> × <paramref name="height"/> with <paramref name="text"/> in large black letters.</summary>
    public static byte[] Png(int width, int height, string text = "")
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            if (text.Length > 0)
            {
                using var font = new SKFont(SKTypeface.Default, height / 3f);
                using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                canvas.DrawText(text, width / 20f, height * 0.6f, SKTextAlign.Left, font, paint);
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// A PNG claiming <paramref name="width"/> × <paramref name="height"/> pixels: a valid IHDR, then an IDAT
    /// holding a few bytes (a decoder reads the header up to the first IDAT) and IEND.
    /// </summary>
    public static byte[] PngHeaderClaiming(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        return [.. signature, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var body = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[4 + body.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        body.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4 + body.Length), Crc32(body));
        return chunk;
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

/// <summary>A test that needs Debian's tesseract-ocr; skipped (not passed) where it is not installed.</summary>
public sealed class RequiresTesseractFactAttribute : FactAttribute
{
    public RequiresTesseractFactAttribute()
    {
        if (Pipelines.Components.Images.OcrProvider.FindOnPath(Pipelines.Components.Images.OcrProvider.Program) is null)
        {
            Skip = "tesseract is not installed (Debian package tesseract-ocr)";
        }
    }
}
