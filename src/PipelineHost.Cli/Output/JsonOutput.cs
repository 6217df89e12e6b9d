using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Cli.Output;

/// <summary><c>--json</c>: exactly one indented JSON document on standard output, nothing else, for scripts; a failure too.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,

        // Text stays readable (é, →, quotes) instead of \u escapes; the output is a terminal or a pipe, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task WriteAsync(TextWriter output, JsonNode document, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(document.ToJsonString(Options).AsMemory(), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The document a failed command prints with <c>--json</c>: the HTTP API's error envelope plus the exit code,
    /// <c>{"status":"Error","error":{"message":"…"},"exitCode":N}</c>.
    /// </summary>
    public static JsonObject Error(string message, int exitCode) => new()
    {
        ["status"] = "Error",
        ["error"] = new JsonObject { ["message"] = message },
        ["exitCode"] = exitCode,
    };
}
