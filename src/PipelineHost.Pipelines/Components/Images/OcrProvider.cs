using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Images;

/// <summary>
/// Reads the text of images with Tesseract (Debian's <c>tesseract-ocr</c> command line) and emits it on
/// <c>text</c>: an <c>image/*</c> object, and each <c>image</c> item (a scanned PDF page's image among them). When
/// the program is not installed, building the component fails, so validation says so before any task runs.
/// </summary>
public sealed class OcrProvider : IComponentProvider
{
    private const string Name = "ocr";

    /// <summary>The program looked for on <c>PATH</c>.</summary>
    public const string Program = "tesseract";

    private readonly Func<string?> _findProgram;

    /// <summary>Creates the provider, looking for <see cref="Program"/> on <c>PATH</c>.</summary>
    public OcrProvider()
        : this(() => FindOnPath(Program))
    {
    }

    /// <summary>Creates the provider with its own way to find the program (tests: "not installed").</summary>
    internal OcrProvider(Func<string?> findProgram) => _findProgram = findProgram;

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "OCR",
        Description: "Reads the text of images (image/* objects and image items, such as scanned PDF pages) with Tesseract, which must be installed on the host (Debian: tesseract-ocr).",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Tags] = [LaneNames.Text],
            [LaneNames.Image] = [LaneNames.Text],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["language"] = new JsonObject
                {
                    ["type"] = "string",
                    ["pattern"] = "^[A-Za-z_]{3,20}(\\+[A-Za-z_]{3,20}){0,4}$",
                    ["default"] = "eng",
                    ["description"] = "Tesseract language(s), e.g. \"eng\" or \"eng+deu\"; each needs its tesseract-ocr-<lang> package.",
                },
                ["psm"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = 13, ["default"] = 3, ["description"] = "Tesseract page segmentation mode." },
                ["timeoutSeconds"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 3600, ["default"] = 120 },
                ["maxBytes"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 1L << 30, ["default"] = 64L << 20, ["description"] = "Largest image read." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"ocr_1","provider":"ocr","config":{"language":"eng"},"input":[{"lane":"tags","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var program = _findProgram()
            ?? throw new ComponentConfigException($"{Name}: the '{Program}' program is not installed on this host (Debian package tesseract-ocr), so images cannot be read.");
        return new Ocr(new Settings(
            program,
            ConfigValues.GetString(config, Name, "language", "eng")!,
            ConfigValues.GetInt32(config, Name, "psm", 3, 0, 13),
            TimeSpan.FromSeconds(ConfigValues.GetInt32(config, Name, "timeoutSeconds", 120, 1, 3600)),
            ConfigValues.GetInt64(config, Name, "maxBytes", 64L << 20, 1, 1L << 30)));
    }

    /// <summary>The full path of <paramref name="program"/> in a <c>PATH</c> folder, or null.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);

    private sealed record Settings(string Program, string Language, int Psm, TimeSpan Timeout, long MaxBytes);

    /// <summary>Runs Tesseract on <paramref name="image"/>, which goes through a private temporary file.</summary>
    private static async Task<string> ReadTextAsync(MediaPayload image, Settings settings, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("pipelinehost-ocr-");
        try
        {
            var input = Path.Combine(folder.FullName, "image");
            await File.WriteAllBytesAsync(input, image.Bytes.ToArray(), cancellationToken).ConfigureAwait(false);
            var start = new ProcessStartInfo(settings.Program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var argument in new[] { input, "stdout", "-l", settings.Language, "--psm", settings.Psm.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Name}: {Program} could not be started.");
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: {Program} took longer than config.timeoutSeconds ({settings.Timeout.TotalSeconds}) on {Describe(image)}."));
            }

            var text = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            return process.ExitCode == 0
                ? text
                : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: {Program} failed on {Describe(image)} (exit code {process.ExitCode}): {LastLine(errors)}"));
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // Tesseract's last stderr line says what went wrong; earlier ones repeat the temporary path.
    private static string LastLine(string errors) =>
        errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";

    private static string Describe(MediaPayload image) => image.Name is { Length: > 0 } name ? $"image '{name}'" : "the image";

    private sealed class Ocr(Settings settings) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(new ImageInput(context, Name, settings.MaxBytes), settings);
    }

    private sealed class Processor(ImageInput input, Settings settings) : IObjectProcessor
    {
        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (input.Add(lane, payload) is { } image)
            {
                await EmitAsync(image, output, cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (input.Close() is { } image)
            {
                await EmitAsync(image, output, cancellationToken).ConfigureAwait(false);
            }
        }

        private async ValueTask EmitAsync(MediaPayload image, IComponentOutput output, CancellationToken cancellationToken)
        {
            var text = await ReadTextAsync(image, settings, cancellationToken).ConfigureAwait(false);
            await output.EmitAsync(LaneNames.Text, new TextPayload(text), cancellationToken).ConfigureAwait(false);
        }
    }
}
