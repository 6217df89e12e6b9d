using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// The host's logging: Serilog behind <see cref="Microsoft.Extensions.Logging"/>, levels and sinks from the
/// <c>Serilog</c> configuration section (Serilog.Settings.Configuration), an optional compact JSON file for log
/// shippers, and one Debug-level line per HTTP request so Information stays for what operators act on (tasks
/// starting and ending, the host starting and stopping, errors).
/// </summary>
public static class ServerLogging
{
    /// <summary>The property every event carries: the machine that wrote it.</summary>
    public const string HostProperty = "Host";

    /// <summary>The console line: time, level, message, then the structured properties (task id, connection id...).</summary>
    public const string ConsoleTemplate = "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}";

    /// <summary>
    /// Logs through Serilog. Registered <see cref="Serilog.Core.ILogEventSink"/> services also receive every event
    /// (tests capture the log that way).
    /// </summary>
    public static IServiceCollection AddServerLogging(this IServiceCollection services, ServerOptions options)
    {
        // preserveStaticLogger: Serilog's static Log.Logger is global state; one process may host several servers (tests).
        // writeToProviders: ILoggerProvider services registered by the host's user still get every event, as before Serilog.
        return services.AddSerilog((provider, logger) => Configure(logger, options, provider), preserveStaticLogger: true, writeToProviders: true);
    }

    /// <summary>
    /// The request log (Serilog's middleware, one event per request at its end, path without the query string, so
    /// no <c>?token=</c> reaches it): Debug, or Error for a 5xx or an exception.
    /// </summary>
    public static IApplicationBuilder UseServerRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(request =>
        {
            // This host's logger, not Serilog's static one (left alone, see AddServerLogging).
            request.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            request.GetLevel = RequestLevel;
        });

    internal static LogEventLevel RequestLevel(HttpContext context, double elapsedMs, Exception? exception) =>
        exception is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError
            ? LogEventLevel.Error
            : LogEventLevel.Debug;

    private static void Configure(LoggerConfiguration logger, ServerOptions options, IServiceProvider services)
    {
        // Defaults first; the configuration's Serilog section overrides any of them.
        logger.MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Orleans", LogEventLevel.Warning) // cluster mode: the silo's routine chatter
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.WithProperty(HostProperty, Environment.MachineName);

        var configuration = options.LoggingConfiguration;
        if (configuration is not null)
        {
            logger.ReadFrom.Configuration(configuration);
        }

        // ASP.NET's own request lines print the query string, where task tokens and keys travel; the request log
        // above replaces them. Pinned after the configuration so no level setting brings them back.
        logger.MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LogEventLevel.Warning);

        // Configured sinks replace the console; without any, the console is the log.
        if (configuration?.GetSection("Serilog:WriteTo").GetChildren().Any() != true)
        {
            logger.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        if (options.LogJsonFile is { } file)
        {
            logger.WriteTo.File(new CompactJsonFormatter(), file);
        }

        logger.ReadFrom.Services(services);
    }
}
