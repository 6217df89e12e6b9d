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
        [".pdf"] = "application/pdf",
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        [".eml"] = "message/rfc822",
        [".zip"] = "application/zip",
        [".tar"] = "application/x-tar",
        [".gz"] = "application/gzip",
        [".tgz"] = "application/gzip",
        [".7z"] = "application/x-7z-compressed",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".bmp"] = "image/bmp",
        [".mp3"] = "audio/mpeg",
        [".wav"] = "audio/wav",
        [".ogg"] = "audio/ogg",
        [".mp4"] = "video/mp4",
        [".webm"] = "video/webm",
        [".mov"] = "video/quicktime",
    };

    private static readonly Dictionary<string, string> ByType = new(StringComparer.Ordinal)
    {
        ["text/plain"] = ".txt",
        ["text/markdown"] = ".md",
        ["text/csv"] = ".csv",
        ["application/json"] = ".json",
        ["text/html"] = ".html",
        ["application/xml"] = ".xml",
        ["application/pdf"] = ".pdf",
        ["message/rfc822"] = ".eml",
        ["application/zip"] = ".zip",
        ["image/png"] = ".png",
        ["image/jpeg"] = ".jpg",
    };

    /// <summary>The MIME type for a file name, from its extension; <see cref="OctetStream"/> when unknown.</summary>
    public static string FromFileName(string fileName) =>
        ByExtension.TryGetValue(Path.GetExtension(fileName), out var type) ? type : OctetStream;

    /// <summary>The usual extension (with its dot) for a MIME type; <c>.bin</c> when unknown.</summary>
    public static string ToExtension(string mimeType) =>
        ByType.TryGetValue(mimeType, out var extension) ? extension : ".bin";
}
