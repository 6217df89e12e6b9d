using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;
using SkiaSharp;

namespace PipelineHost.Pipelines.Components.Images;

/// <summary>
/// Makes a smaller copy of each image (an <c>image/*</c> object, or each <c>image</c> item) that fits in
/// <c>maxWidth</c> × <c>maxHeight</c>, keeping its aspect ratio, and emits it on <c>image</c>. Decoding is bounded:
/// the header is read first and an image claiming more than <c>maxPixels</c> is refused before any pixel is decoded;
/// JPEGs are decoded straight at a reduced scale when the codec can.
/// </summary>
public sealed class ThumbnailProvider : IComponentProvider
{
    private const string Name = "thumbnail";

    /// <summary>Default of <c>maxPixels</c>: 50 megapixels (about 200 MB decoded).</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Thumbnail",
        Description: "Emits a copy of each image scaled down to fit maxWidth x maxHeight (aspect kept, never enlarged), as PNG, JPEG or WebP.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Tags] = [LaneNames.Image],
            [LaneNames.Image] = [LaneNames.Image],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["maxWidth"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 8192, ["default"] = 256 },
                ["maxHeight"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 8192, ["default"] = 256 },
                ["format"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("png", "jpeg", "webp"), ["default"] = "png" },
                ["quality"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 100, ["default"] = 80, ["description"] = "JPEG/WebP quality." },
                ["maxPixels"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 250_000_000, ["default"] = DefaultMaxPixels, ["description"] = "Larger source images are refused before decoding." },
                ["maxBytes"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 1L << 30, ["default"] = 64L << 20, ["description"] = "Largest encoded source image." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"thumbnail_1","provider":"thumbnail","config":{"maxWidth":200,"maxHeight":200,"format":"jpeg","quality":75},"input":[{"lane":"tags","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var format = ConfigValues.GetChoice(config, Name, "format", "png", "png", "jpeg", "webp");
        return new Thumbnailer(new Settings(
            ConfigValues.GetInt32(config, Name, "maxWidth", 256, 1, 8192),
            ConfigValues.GetInt32(config, Name, "maxHeight", 256, 1, 8192),
            format switch { "jpeg" => SKEncodedImageFormat.Jpeg, "webp" => SKEncodedImageFormat.Webp, _ => SKEncodedImageFormat.Png },
            "image/" + format,
            ConfigValues.GetInt32(config, Name, "quality", 80, 1, 100),
            ConfigValues.GetInt64(config, Name, "maxPixels", DefaultMaxPixels, 1, 250_000_000),
            ConfigValues.GetInt64(config, Name, "maxBytes", 64L << 20, 1, 1L << 30)));
    }

    private sealed record Settings(int MaxWidth, int MaxHeight, SKEncodedImageFormat Format, string MimeType, int Quality, long MaxPixels, long MaxBytes);

    /// <summary>Scales <paramref name="image"/> down to fit; the bounded decoding described on the class.</summary>
    private static MediaPayload Shrink(MediaPayload image, Settings settings)
    {
        using var data = SKData.CreateCopy(image.Bytes.Span);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidOperationException($"{Name}: {Describe(image)} is not an image SkiaSharp can read.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || (long)width * height > settings.MaxPixels)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: {Describe(image)} claims {width} x {height} pixels; the limit is config.maxPixels = {settings.MaxPixels}."));
        }

        var scale = Math.Min(1.0, Math.Min((double)settings.MaxWidth / width, (double)settings.MaxHeight / height));
        var target = new SKSizeI(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));

        // The codec's own reduced decode (JPEG's 1/2, 1/4, 1/8) when it has one at or above the target size.
        var decodeSize = codec.GetScaledDimensions((float)scale);
        if (decodeSize.Width < target.Width || decodeSize.Height < target.Height)
        {
            decodeSize = codec.Info.Size;
        }

        using var decoded = SKBitmap.Decode(codec, codec.Info.WithSize(decodeSize).WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Premul))
            ?? SKBitmap.Decode(codec)
            ?? throw new InvalidOperationException($"{Name}: {Describe(image)} could not be decoded.");
        using var resized = decoded.Width == target.Width && decoded.Height == target.Height
            ? decoded.Copy()
            : decoded.Resize(new SKImageInfo(target.Width, target.Height, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
              ?? throw new InvalidOperationException($"{Name}: {Describe(image)} could not be resized.");
        using var encoded = resized.Encode(settings.Format, settings.Quality)
            ?? throw new InvalidOperationException($"{Name}: the thumbnail could not be encoded as {settings.MimeType}.");
        return MediaPayload.Image(encoded.ToArray(), settings.MimeType, target.Width, target.Height, image.Name);
    }

    private static string Describe(MediaPayload image) => image.Name is { Length: > 0 } name ? $"image '{name}'" : "the image";

    private sealed class Thumbnailer(Settings settings) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(new ImageInput(context, Name, settings.MaxBytes), settings);
    }

    private sealed class Processor(ImageInput input, Settings settings) : IObjectProcessor
    {
        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (input.Add(lane, payload) is { } image)
            {
                await output.EmitAsync(LaneNames.Image, Shrink(image, settings), cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (input.Close() is { } image)
            {
                await output.EmitAsync(LaneNames.Image, Shrink(image, settings), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
