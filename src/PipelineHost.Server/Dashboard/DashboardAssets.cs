using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace PipelineHost.Server.Dashboard;

/// <summary>
/// The dashboard's files (HTML, ES modules, CSS), embedded in this assembly so the server needs nothing next to
/// it and nothing from the internet: <c>/ui/&lt;file&gt;</c> serves them, <c>/</c> serves <c>index.html</c>.
/// </summary>
internal static class DashboardAssets
{
    /// <summary>Where the files are served.</summary>
    public const string PathPrefix = "/ui/";

    private const string ResourcePrefix = "dashboard/";

    // Only our own files, no inline script or style: a task name or error text can never become code.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    private static readonly FrozenDictionary<string, Asset> Files = Load();

    /// <summary>Serves <c>/ui/…</c> before routing; everything else passes on.</summary>
    public static IApplicationBuilder UseDashboardAssets(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path.Value;
        if (path is not null && path.StartsWith(PathPrefix, StringComparison.Ordinal) && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            await (Files.TryGetValue(path[PathPrefix.Length..], out var asset)
                ? Serve(context, asset)
                : Results.NotFound()).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>The dashboard page.</summary>
    public static IResult Index(HttpContext context) => Serve(context, Files["index.html"]);

    private static IResult Serve(HttpContext context, Asset asset)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.Vary = HeaderNames.Accept;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var file = name[ResourcePrefix.Length..].Replace('\\', '/');
            files[file] = new Asset(content, ContentTypeOf(file), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
