using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Images;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Validation;
using SkiaSharp;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary><c>thumbnail</c> (SkiaSharp, bounded decoding) and <c>ocr</c> (Tesseract).</summary>
public class ImageComponentsTests
{
    [Fact]
    public async Task Thumbnail_scales_an_image_object_down_to_fit_keeping_its_aspect()
    {
        var output = await ComponentHarness.Run(new ThumbnailProvider(), """{"maxWidth":200,"maxHeight":200,"format":"jpeg"}""", "image/png",
            ComponentHarness.Split(TestImages.Png(800, 400), 1000));

        var thumbnail = Assert.IsType<MediaPayload>(Assert.Single(output.On(LaneNames.Image)));
        using var decoded = SKBitmap.Decode(thumbnail.Bytes.ToArray());
        Assert.Equal(("image/jpeg", 200, 100), (thumbnail.MimeType, thumbnail.Width!.Value, thumbnail.Height!.Value));
        Assert.Equal((200, 100), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task Thumbnail_never_enlarges_and_reads_image_items_too()
    {
        var output = await ComponentHarness.RunItems(new ThumbnailProvider(), "{}", "application/pdf",
            [(LaneNames.Image, MediaPayload.Image(TestImages.Png(40, 30), "image/png", name: "page-1")), (LaneNames.Tags, new BytesPayload(new byte[] { 1, 2, 3 }))]);

        var thumbnail = Assert.IsType<MediaPayload>(Assert.Single(output.On(LaneNames.Image)));
        Assert.Equal(("image/png", 40, 30, "page-1"), (thumbnail.MimeType, thumbnail.Width!.Value, thumbnail.Height!.Value, thumbnail.Name));
    }

    [Fact]
    public async Task Thumbnail_refuses_an_image_claiming_absurd_dimensions_before_decoding_it()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComponentHarness.Run(new ThumbnailProvider(), "{}", "image/png", TestImages.PngHeaderClaiming(100_000, 100_000)));

        Assert.Equal("thumbnail: image 'object.bin' claims 100000 x 100000 pixels; the limit is config.maxPixels = 50000000.", error.Message);
    }

    [Fact]
    public async Task Thumbnail_says_clearly_when_the_bytes_are_no_image()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComponentHarness.Run(new ThumbnailProvider(), "{}", "image/png", "not an image"));

        Assert.Equal("thumbnail: image 'object.bin' is not an image SkiaSharp can read.", error.Message);
    }

    [RequiresTesseractFact]
    public async Task Ocr_reads_the_text_of_a_rendered_image()
    {
        var output = await ComponentHarness.Run(new OcrProvider(), "{}", "image/png", TestImages.Png(900, 200, "HELLO 42"));

        Assert.Contains("HELLO 42", string.Concat(output.Texts), StringComparison.Ordinal);
    }

    [Fact]
    public void Ocr_without_tesseract_fails_validation_not_the_run()
    {
        var catalog = new ComponentCatalog(ComponentCatalog.CreateDefault().Providers.Where(p => p.Definition.Name != "ocr").Append(new OcrProvider(() => null)));
        var pipeline = JsonNode.Parse("""
            {"components":[{"id":"w","provider":"webhook","config":{"mode":"Source"}},
                           {"id":"o","provider":"ocr","input":[{"lane":"tags","from":"w"}]},
                           {"id":"r","provider":"response","input":[{"lane":"text","from":"o"}]}],"source":"w"}
            """)!.AsObject();

        var errors = new PipelineValidator(catalog).Validate(pipeline, environment: new ComponentEnvironment()).Errors;

        Assert.Equal(
            "Component \"o\": ocr: the 'tesseract' program is not installed on this host (Debian package tesseract-ocr), so images cannot be read.",
            Assert.Single(errors).Message);
    }
}
