namespace PipelineHost.Pipelines.Components;

/// <summary>The small extension ↔ MIME type table the built-in sources use.</summary>
internal static class MimeTypes
{
    /// <summary>The type of content whose type is not known.</summary>
    public const string OctetStream = "application/octet-stream";

    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain",
        [".md"] = "text/markdown",
        [".csv"] = "text/csv",
        [".json"] = "application/json",
        [".html"] = "text/html",
        [".htm"] = "text/html",
        [".xml"] = "application/xml",
        [".log"] = "text/plain",
    };

    private static readonly Dictionary<string, string> ByType = new(StringComparer.Ordinal)
    {
        ["text/plain"] = ".txt",
        ["text/markdown"] = ".md",
        ["text/csv"] = ".csv",
        ["application/json"] = ".json",
        ["text/html"] = ".html",
        ["application/xml"] = ".xml",
    };

    /// <summary>The MIME type for a file name, from its extension; <see cref="OctetStream"/> when unknown.</summary>
    public static string FromFileName(string fileName) =>
        ByExtension.TryGetValue(Path.GetExtension(fileName), out var type) ? type : OctetStream;

    /// <summary>The usual extension (with its dot) for a MIME type; <c>.bin</c> when unknown.</summary>
    public static string ToExtension(string mimeType) =>
        ByType.TryGetValue(mimeType, out var extension) ? extension : ".bin";
}
