using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Http;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// Metrics and traces through OpenTelemetry: the <see cref="PipelineHostMetrics.MeterName"/> meter scraped as
/// Prometheus text at <c>GET /metrics</c>, and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, metrics and the
/// <see cref="PipelineTracing.SourceName"/> spans pushed over OTLP (the exporter reads the other <c>OTEL_*</c>
/// variables itself). Without an OTLP endpoint no trace listener exists, so spans cost nothing.
/// </summary>
public static class ServerTelemetry
{
    /// <summary>The scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The variable that turns the OTLP exporter on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Registers the instruments and the OpenTelemetry pipeline.</summary>
    public static IServiceCollection AddServerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        services.AddSingleton<PipelineHostMetrics>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("pipelinehost"))
            .WithMetrics(metrics =>
            {
                // No cached scrape: collecting is cheap, and a scrape right after a change should show it.
                metrics.AddMeter(PipelineHostMetrics.MeterName).AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(PipelineTracing.SourceName).AddOtlpExporter());
        }

        return services;
    }

    /// <summary>
    /// <c>GET /metrics</c>: Prometheus text. Needs an API key (header or <c>?auth=</c>, as the rest of the HTTP API)
    /// unless <see cref="ServerOptions.MetricsPublic"/>; a task credential is not enough, the figures are host-wide.
    /// </summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder endpoints, ServerOptions options)
    {
        var metrics = endpoints.ServiceProvider.GetRequiredService<PipelineHostMetrics>();
        var connections = endpoints.ServiceProvider.GetRequiredService<ConnectionRegistry>();
        metrics.ObserveEvents(() => connections.Stats.Sent, () => connections.Stats.Coalesced, () => connections.Stats.Dropped);

        var scrape = endpoints.MapPrometheusScrapingEndpoint(MetricsPath)
            .WithName("GetMetrics")
            .WithSummary("The server's metrics in Prometheus text format")
            .WithDescription("Instruments of the PipelineHost meter. Needs the API key unless the server runs with --metrics-public.");
        if (!options.MetricsPublic)
        {
            scrape.Add(endpoint =>
            {
                var inner = endpoint.RequestDelegate!;
                endpoint.RequestDelegate = context =>
                {
                    var caller = HttpCredentials.Authenticate(context, context.RequestServices.GetRequiredService<CredentialAuthenticator>());
                    return caller.IsTaskScoped
                        ? throw new PermissionDeniedException("Permission 'metrics' denied: a task credential cannot read host metrics")
                        : inner(context);
                };
            });
        }

        return endpoints;
    }
}
