using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;

namespace PipelineHost.Server.Http;

/// <summary>
/// Cheap waiting on <c>GET /task</c>: the status's <c>ETag</c> (from its <c>id</c> and <c>version</c>),
/// <c>If-None-Match</c>, and the long-poll parameters <c>wait</c> and <c>sinceVersion</c> (protocol-spec/http.md).
/// </summary>
internal static class StatusValidators
{
    /// <summary>The longest <c>wait</c> a long-poll may ask for: under the usual 60 s proxy idle timeouts.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(55);

    /// <summary>
    /// The status's entity tag: weak, as a metrics sample changes the body but not the <c>version</c> (the status
    /// is the same as far as a waiting client cares). The <c>id</c> tells a task from a later one with its token.
    /// </summary>
    public static string ETag(JsonObject status)
    {
        var id = status["id"] is JsonValue idValue && idValue.TryGetValue(out string? text) ? text : string.Empty;
        var version = status["version"] is JsonValue versionValue && versionValue.TryGetValue(out long number) ? number : 0;
        var safe = string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return string.Create(CultureInfo.InvariantCulture, $"W/\"{safe}.{version}\"");
    }

    /// <summary>True when <c>If-None-Match</c> names <paramref name="etag"/> (weak comparison, RFC 9110 §13.1.2) or is <c>*</c>.</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        var opaque = Opaque(etag);
        foreach (var header in ifNoneMatch)
        {
            foreach (var candidate in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (candidate == "*" || Opaque(candidate) == opaque)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>wait</c> parameter: seconds as a number (<c>30</c>, <c>2.5</c>) or with a unit (<c>30s</c>,
    /// <c>500ms</c>), from 0 to <see cref="MaxWait"/>; null when absent.
    /// </summary>
    /// <exception cref="HttpApiException">400 for anything else.</exception>
    public static TimeSpan? ReadWait(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && value * scale is var seconds && seconds <= MaxWait.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw new HttpApiException(StatusCodes.Status400BadRequest, string.Create(
                    CultureInfo.InvariantCulture,
                    $"Argument 'wait' must be a duration from 0 to {MaxWait.TotalSeconds:0} s, e.g. 30s or 500ms."));
    }

    /// <summary>The <c>sinceVersion</c> parameter: a whole number from 0; null when absent.</summary>
    /// <exception cref="HttpApiException">400 for anything else.</exception>
    public static long? ReadSinceVersion(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version
        : throw new HttpApiException(StatusCodes.Status400BadRequest, "Argument 'sinceVersion' must be a whole number from 0 (the status's 'version').");

    private static string Opaque(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
}
