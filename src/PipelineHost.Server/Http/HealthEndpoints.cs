using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Http;

/// <summary>
/// <c>GET /healthz</c> (the process is up and answering) and <c>GET /readyz</c> (the task store answers and the
/// worker pool is warm), for load balancers and orchestrators: anonymous, JSON, 503 when not healthy or ready.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";

    private const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web);

    public static IServiceCollection AddPipelineHostHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag])
            .AddCheck<WorkerPoolHealthCheck>("workerPool", tags: [ReadyTag]);
        return services;
    }

    /// <remarks>
    /// Route handlers over <see cref="HealthCheckService"/> rather than <c>MapHealthChecks</c>, so the endpoints carry
    /// their typed response in the generated OpenAPI document like every other route.
    /// </remarks>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(LivePath, (HealthCheckService health, CancellationToken cancellationToken) => CheckAsync(health, _ => false, cancellationToken))
            .WithName("Healthz")
            .WithSummary("Liveness: the process is up and answering.")
            .WithTags("Health")
            .Produces<HealthReportBody>(StatusCodes.Status200OK);
        endpoints.MapGet(ReadyPath, (HealthCheckService health, CancellationToken cancellationToken) => CheckAsync(health, c => c.Tags.Contains(ReadyTag), cancellationToken))
            .WithName("Readyz")
            .WithSummary("Readiness: the task store answers and the worker pool is warm; 503 until then.")
            .WithTags("Health")
            .Produces<HealthReportBody>(StatusCodes.Status200OK)
            .Produces<HealthReportBody>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task<IResult> CheckAsync(HealthCheckService health, Func<HealthCheckRegistration, bool> predicate, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(predicate, cancellationToken).ConfigureAwait(false);
        var body = new HealthReportBody(
            report.Status.ToString(),
            report.Entries.ToDictionary(
                e => e.Key,
                e => new HealthCheckBody(e.Value.Status.ToString(), e.Value.Description, (long)e.Value.Duration.TotalMilliseconds),
                StringComparer.Ordinal));
        var status = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        return Results.Json(body, BodyOptions, statusCode: status);
    }

    /// <summary>The task store answers a query (the database file is there and readable).</summary>
    private sealed class StoreHealthCheck(ITaskStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await store.FindTaskAsync("readyz", cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy("The task store answers.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // The exception's message may name a server path: the body says only what failed.
                return HealthCheckResult.Unhealthy("The task store does not answer.");
            }
        }
    }

    /// <summary>The worker pool is off, or has warm workers (or can start them).</summary>
    private sealed class WorkerPoolHealthCheck(TaskManager tasks) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(tasks.WorkerPoolWarm
                ? HealthCheckResult.Healthy($"{tasks.IdleWorkers} warm workers waiting.")
                : HealthCheckResult.Unhealthy("The worker pool is not warm yet, or cannot start workers."));
    }
}

/// <summary>The body of <c>GET /healthz</c> and <c>GET /readyz</c>.</summary>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</param>
/// <param name="Checks">Each check by name (<c>store</c>, <c>workerPool</c>; none for <c>/healthz</c>).</param>
public sealed record HealthReportBody(string Status, IReadOnlyDictionary<string, HealthCheckBody> Checks);

/// <summary>One health check's result.</summary>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</param>
/// <param name="Description">What was found.</param>
/// <param name="DurationMs">How long the check took.</param>
public sealed record HealthCheckBody(string Status, string? Description, long DurationMs);
