using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>The generated OpenAPI document's contract details, and the API reference page at <c>/docs</c>.</summary>
public partial class ApiDocumentationTests
{
    private static async Task<JsonObject> DocumentAsync(TestServer server)
    {
        using var http = server.CreateHttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri("/openapi.json", UriKind.Relative)))!.AsObject();
    }

    [Fact]
    public async Task The_document_carries_the_server_version_security_schemes_per_route_credentials_and_examples()
    {
        await using var server = await TestServer.StartAsync();

        var document = await DocumentAsync(server);

        Assert.Equal("0.1.0", document["info"]!["version"]!.GetValue<string>());
        Assert.Null(document["servers"]);
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", schemes["apiKey"]!["scheme"]!.GetValue<string>());
        Assert.Equal(("apiKey", "query", "token"), (schemes["taskToken"]!["type"]!.GetValue<string>(), schemes["taskToken"]!["in"]!.GetValue<string>(), schemes["taskToken"]!["name"]!.GetValue<string>()));

        var status = document["paths"]!["/task"]!["get"]!;
        Assert.Equal(["apiKey", "taskToken"], status["security"]!.AsArray().SelectMany(r => r!.AsObject().Select(p => p.Key)));
        Assert.Contains(status["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "token" && p["in"]!.GetValue<string>() == "query");
        Assert.Equal("#/components/schemas/ErrorEnvelopeBody", status["responses"]!["401"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Null(document["paths"]!["/version"]!["get"]!["security"]);

        var start = document["paths"]!["/task"]!["post"]!;
        Assert.Equal("webhook_1", start["requestBody"]!["content"]!["application/json"]!["example"]!["source"]!.GetValue<string>());
        Assert.Equal("OK", start["responses"]!["200"]!["content"]!["application/json"]!["example"]!["status"]!.GetValue<string>());
        Assert.NotNull(document["paths"]!["/readyz"]!["get"]!["responses"]!["503"]);
        Assert.NotNull(document["paths"]!["/task/service"]!["get"]);
    }

    [Fact]
    public async Task The_api_reference_page_is_served_at_docs_with_its_assets_from_the_server_and_no_cdn()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateHttpClient();

        using var redirect = await http.GetAsync(new Uri("/docs", UriKind.Relative));
        using var page = await http.GetAsync(new Uri("/docs/", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();
        var references = AssetReference().Matches(html).Select(m => m.Groups["url"].Value).ToList();

        Assert.True(redirect.StatusCode is HttpStatusCode.OK or HttpStatusCode.Found or HttpStatusCode.MovedPermanently, redirect.StatusCode.ToString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // The page loads this server's own document (Scalar resolves it against the application's base path).
        Assert.Contains("\"url\":\"openapi.json\"", html, StringComparison.Ordinal);
        Assert.NotEmpty(references);
        Assert.All(references, url => Assert.False(url.StartsWith("http", StringComparison.OrdinalIgnoreCase) || url.StartsWith("//", StringComparison.Ordinal), url));
        Assert.DoesNotContain("cdn.jsdelivr", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("fonts.scalar.com", html, StringComparison.OrdinalIgnoreCase);
        foreach (var url in references)
        {
            var resolved = new Uri(new Uri("http://localhost/docs/"), url);
            using var asset = await http.GetAsync(new Uri(resolved.PathAndQuery, UriKind.Relative));
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"{url}: {asset.StatusCode}");
        }
    }

    [GeneratedRegex("""(?:src|href)\s*=\s*["'](?<url>[^"']+)["']""")]
    private static partial Regex AssetReference();
}
