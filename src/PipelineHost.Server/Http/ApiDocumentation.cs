using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using PipelineHost.Server.Hosting;
using Scalar.AspNetCore;

namespace PipelineHost.Server.Http;

/// <summary>Which credentials an HTTP route accepts, for the OpenAPI document's security requirements.</summary>
[Flags]
internal enum RouteCredentials
{
    /// <summary>Anonymous.</summary>
    None = 0,

    /// <summary>An API key, or a task credential where the route allows it: <c>Authorization: Bearer</c> (or <c>?auth=</c>).</summary>
    ApiKey = 1,

    /// <summary>A task token in <c>?token=</c> is its own credential.</summary>
    TaskToken = 2,
}

/// <summary>The documentation of a route the OpenAPI generator cannot infer: its query parameters, credentials and examples.</summary>
internal sealed record RouteDoc(RouteCredentials Credentials, IReadOnlyList<(string Name, string Description)> Query)
{
    /// <summary>An example request body (JSON), if any.</summary>
    public JsonNode? RequestExample { get; init; }

    /// <summary>An example 200 response body (JSON), if any.</summary>
    public JsonNode? ResponseExample { get; init; }
}

/// <summary>A success envelope: <c>{"status":"OK","data":…}</c>; <c>data</c> is absent when there is nothing to return.</summary>
/// <param name="Status">Always <c>OK</c>.</param>
/// <param name="Data">The route's answer.</param>
public sealed record OkEnvelope(string Status, JsonNode? Data);

/// <summary>An error envelope: <c>{"status":"Error","error":{"message":"…"}}</c>.</summary>
/// <param name="Status">Always <c>Error</c>.</param>
/// <param name="Error">What went wrong, safe to show.</param>
public sealed record ErrorEnvelopeBody(string Status, ErrorDetail Error);

/// <summary>The <c>error</c> of an error envelope.</summary>
/// <param name="Message">A client-safe message (<c>Your pipeline is not running</c>, <c>Access denied</c>...).</param>
public sealed record ErrorDetail(string Message);

/// <summary>
/// The OpenAPI document generated from the endpoints (Microsoft.AspNetCore.OpenApi) at <c>GET /openapi.json</c>, and
/// the Scalar API reference at <c>/docs</c>, whose scripts are served from the package (no CDN).
/// </summary>
internal static class ApiDocumentation
{
    /// <summary>Where the document is served.</summary>
    public const string DocumentPath = "/openapi.json";

    /// <summary>Where the API reference page is served.</summary>
    public const string ReferencePath = "/docs";

    private const string ApiKeyScheme = "apiKey";
    private const string TaskTokenScheme = "taskToken";

    /// <summary>Documents a route: summary, tag, credentials, query parameters and the envelope responses.</summary>
    public static RouteHandlerBuilder Documented(
        this RouteHandlerBuilder route,
        string name,
        string summary,
        string tag,
        RouteCredentials credentials,
        params (string Name, string Description)[] query) =>
        route.Documented(name, summary, tag, new RouteDoc(credentials, query));

    /// <summary>Documents a route with a full <see cref="RouteDoc"/> (examples).</summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder route, string name, string summary, string tag, RouteDoc doc)
    {
        route.WithName(name).WithSummary(summary).WithTags(tag).WithMetadata(doc)
            .Produces<OkEnvelope>(StatusCodes.Status200OK)
            .Produces<ErrorEnvelopeBody>(StatusCodes.Status400BadRequest);
        if (doc.Credentials != RouteCredentials.None)
        {
            route.Produces<ErrorEnvelopeBody>(StatusCodes.Status401Unauthorized)
                .Produces<ErrorEnvelopeBody>(StatusCodes.Status403Forbidden);
        }

        return route;
    }

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "PipelineHost HTTP API",
                    Version = new ServerInfo(TimeProvider.System).Version,
                    Description = "The HTTP side of PipelineHost (protocol-spec/http.md); the WebSocket protocol is in protocol-spec/protocol.md.",
                };

                // The document is the same whichever address it was fetched from, so it can be checked in.
                document.Servers = [];
                document.Paths ??= [];
                document.Paths[Connections.TaskServiceEndpoint.Path] = TaskServicePath();
                document.Paths[Hosting.ServerTelemetry.MetricsPath] = MetricsPath();
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [ApiKeyScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        Description = "An API key (or, where a route allows it, a task's tk_ or pk_ credential) as `Authorization: Bearer <key>`; `?auth=<key>` works too.",
                    },
                    [TaskTokenScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        In = ParameterLocation.Query,
                        Name = "token",
                        Description = "A task token (tk_…) in the query is its own credential for reading that task.",
                    },
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RouteDoc>().FirstOrDefault() is not { } doc)
                {
                    return Task.CompletedTask;
                }

                operation.Parameters ??= [];
                foreach (var (name, description) in doc.Query)
                {
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = name,
                        In = ParameterLocation.Query,
                        Description = description,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                }

                var requirements = new List<OpenApiSecurityRequirement>();
                if (doc.Credentials.HasFlag(RouteCredentials.ApiKey))
                {
                    requirements.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] });
                }

                if (doc.Credentials.HasFlag(RouteCredentials.TaskToken))
                {
                    requirements.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(TaskTokenScheme, context.Document)] = [] });
                }

                if (requirements.Count > 0)
                {
                    operation.Security = requirements;
                }

                // Described here rather than with Accepts<T>: that metadata would make routing refuse other content
                // types with a bare 415, where the route answers its own 400 envelope.
                if (doc.RequestExample is { } request)
                {
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Description = "The pipeline document (flat, or wrapped as {\"pipeline\":{…}}).",
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object }, Example = request.DeepClone() },
                        },
                    };
                }

                if (doc.ResponseExample is { } response && operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } responseContent)
                {
                    foreach (var media in responseContent.Values)
                    {
                        media.Example = response.DeepClone();
                    }
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// GET /metrics, which the generator cannot see: the OpenTelemetry exporter maps it as a middleware branch, not
    /// as a route handler.
    /// </summary>
    private static OpenApiPathItem MetricsPath() => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new()
            {
                OperationId = "GetMetrics",
                Summary = "The server's metrics in Prometheus text format",
                Description = "Instruments of the PipelineHost meter (protocol-spec/observability.md). Needs the API key unless the server runs with --metrics-public.",
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "Prometheus text exposition format." },
                    ["401"] = new OpenApiResponse { Description = "No API key." },
                    ["403"] = new OpenApiResponse { Description = "A task credential cannot read host metrics." },
                },
            },
        },
    };

    /// <summary>The WebSocket endpoint, which the generator cannot see (it is mapped for every method).</summary>
    private static OpenApiPathItem TaskServicePath() => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new()
            {
                OperationId = "TaskService",
                Summary = "The WebSocket endpoint: DAP-style JSON or MessagePack messages (protocol-spec/protocol.md).",
                Description = "Upgrade to a WebSocket, then authenticate with the `auth` command. Without an upgrade: 400.",
                Responses = new OpenApiResponses
                {
                    ["101"] = new OpenApiResponse { Description = "Switching protocols: the WebSocket session." },
                    ["400"] = new OpenApiResponse { Description = "Not a WebSocket upgrade." },
                },
            },
        },
    };

    public static IEndpointRouteBuilder MapApiDocumentation(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi(DocumentPath);
        endpoints.MapScalarApiReference(ReferencePath, options => options
            .WithTitle("PipelineHost HTTP API")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableDefaultFonts());
        return endpoints;
    }
}
