using PipelineHost.Engine.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PipelineHost.Engine;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Pipelines.Components;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Dashboard;
using PipelineHost.Server.Events;
using PipelineHost.Server.Http;

namespace PipelineHost.Server.Hosting;

/// <summary>The composition root: reads like a table of contents of the server.</summary>
public static partial class PipelineHostApp
{
    /// <summary>Builds the server from command-line <paramref name="args"/> and the process environment.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var environment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        var settings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), ServerOptionsParser.SettingsFile), optional: true, reloadOnChange: false)
            .Build();
        return Build(ServerOptionsParser.Parse(args, environment, settings), configure);
    }

    /// <summary>Builds the server from <paramref name="options"/>.</summary>
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        // Bad rates fail the start, not the first task that bills.
        options.TokenRates.Validate();
        if (options.ComponentsDirectory is { } components && !Directory.Exists(components))
        {
            throw new ArgumentException("The components folder (--components-dir) does not exist.");
        }

        // Nothing in the data folder is touched before it is this server's alone and its port is free: a second
        // server on the same folder must not "recover" the first one's running tasks.
        var (folderLock, looseEntries) = DataFolder.Prepare(options.DataDirectory);
        IReadOnlyList<string> keys;
        string? generatedKey;
        string keyFile;
        bool shortKey;
        try
        {
            DataFolder.CheckPortFree(options);
            keys = ApiKeyStore.LoadOrCreate(options.ApiKeys, options.DataDirectory, out generatedKey, out keyFile);
            shortKey = ApiKeyPolicy.CheckShortKeys(keys, options.Host);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            folderLock.Dispose();
            throw new StartupException(DataFolder.NotWritable(ex), ex);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }

        if (options.Cluster is { } cluster)
        {
            ClusterServices.PrepareDatabase(cluster, folderLock);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxMessageSize;
        });
        builder.Logging.ClearProviders();
        builder.Services.AddServerLogging(options);
        if (options.Telemetry)
        {
            builder.Services.AddServerTelemetry(builder.Configuration);
        }

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(_ => folderLock); // a factory registration: the container disposes it, releasing the folder
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServerInfo>();
        services.AddSingleton(new ApiKeyStore(keys));
        services.AddSingleton(EngineOptionsFrom(options));
        services.AddSingleton(sp => ComponentCatalogs.Load(options.ComponentsDirectory, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<EventHub>();
        services.AddSingleton<ITaskObserver>(sp => sp.GetRequiredService<EventHub>());
        services.AddSingleton<DashboardChanges>();
        services.AddSingleton<ITaskObserver>(sp => sp.GetRequiredService<DashboardChanges>());
        services.AddSingleton<DashboardFeed>();
        services.AddTaskHistoryAndStore(options);
        builder.AddHostDirectory(options);
        services.AddTaskCallbacks(options);
        services.AddSingleton<TaskManager>();
        services.AddSingleton<ITaskCredentialResolver>(sp => sp.GetRequiredService<TaskManager>());
        services.AddSingleton(sp => new AuthBackoff(sp.GetRequiredService<TimeProvider>(), options.AuthFailuresBeforeBackoff));
        services.AddSingleton<CredentialAuthenticator>();
        services.AddSingleton(new UnauthenticatedConnectionLimiter(options.MaxUnauthenticatedPerIp, options.MaxUnauthenticatedIps));
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton(sp => new ClientErrorLogLimiter(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Protocol.Framing.LargeMessageBuffers(sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<LargeMessageTrimmer>();
        services.AddSingleton<IMessageCodec>(JsonMessageCodec.Instance);
        services.AddSingleton<IMessageCodec>(MessagePackMessageCodec.Instance);
        services.AddSingleton<MessageCodecs>();
        services.AddSingleton<ICommandModule, SessionCommands>();
        services.AddSingleton<ICommandModule, TaskCommands>();
        services.AddSingleton<ICommandModule, DataCommands>();
        services.AddSingleton<ICommandModule, CatalogCommands>();
        services.AddSingleton<ICommandModule, MonitorCommands>();
        services.AddSingleton<ICommandModule, ClusterCommands>();
        services.AddSingleton<CommandTable>();
        services.AddSingleton<CommandDispatcher>();
        services.AddPipelineHostHealthChecks();
        services.AddApiDocumentation();
        configure?.Invoke(builder);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<DataFolderLock>();
        if (looseEntries > 0)
        {
            DataFolder.WarnLoose(app.Services.GetRequiredService<ILoggerFactory>(), looseEntries);
        }

        _ = app.Services.GetRequiredService<ServerInfo>(); // its creation is the server's start time (GET /status uptime)
        if (options.Telemetry)
        {
            app.UseServerRequestLogging();
        }

        app.UseWebSockets();
        app.UseErrorEnvelope();
        app.UseDashboardAssets();
        app.MapRootEndpoints();
        app.MapTaskService();
        app.MapTaskEndpoints();
        app.MapTaskEvents();
        app.MapDataEndpoints();
        app.MapInfoEndpoints();
        app.MapHistoryEndpoints();
        app.MapDashboardEndpoints();
        if (options.Telemetry)
        {
            app.MapMetrics(options);
        }
        app.MapHealthEndpoints();
        app.MapApiDocumentation();

        // Created now rather than at the first request, so the worker pool is warm before the first task.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<TaskManager>());
        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, options, generatedKey, keyFile));
        if (shortKey)
        {
            Log.ShortApiKey(app.Logger, ApiKeyPolicy.MinimumLength);
        }

        return app;
    }

    private static void PrintBanner(WebApplication app, ServerOptions options, string? generatedKey, string keyFile)
    {
        var address = app.Urls.FirstOrDefault() ?? options.Url;
        var ws = address.Replace("http://", "ws://", StringComparison.Ordinal).Replace("https://", "wss://", StringComparison.Ordinal);
        Console.WriteLine($"PipelineHost listening on {address}  (WebSocket {ws}{TaskServiceEndpoint.Path})");
        Console.WriteLine($"Data folder: {options.DataDirectory}");
        if (generatedKey is not null)
        {
            // Printed once, on the start that created it; never logged.
            Console.WriteLine($"Generated API key (stored in {keyFile}): {generatedKey}");
        }
        else if (options.ApiKeys.Count == 0)
        {
            Console.WriteLine($"API key: see {keyFile}");
        }
    }

    internal static EngineOptions EngineOptionsFrom(ServerOptions options) => new()
    {
        MaxConcurrentTasks = options.MaxConcurrentTasks ?? EngineOptions.DefaultMaxConcurrentTasks,
        WorkerPoolSize = options.WorkerPoolSize ?? EngineOptions.DefaultWorkerPoolSize,
        DataDirectory = options.DataDirectory,
        AllowedRoots = options.AllowedRoots,
        ExecAllowList = options.ExecAllowList,
        ComponentsDirectory = options.ComponentsDirectory,
        Retention = options.Retention,
        HistoryRetention = options.HistoryRetention,
        StopGrace = options.StopGrace,
        FailedItemMaxBytes = options.FailedItemMaxBytes,
        FailedTaskMaxBytes = options.FailedTaskMaxBytes,
        TaskOutputMaxBytes = options.TaskOutputMaxBytes,
        ObjectOutputMaxBytes = options.ObjectOutputMaxBytes,
        PipeIdleTimeout = options.PipeIdleTimeout,
        WorkerHeartbeatTimeout = options.WorkerHeartbeatTimeout,
        TokenRates = options.TokenRates,
        Callbacks = options.Callbacks,
        ServerEnvironment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
    };

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.ShortApiKeyOnLoopback, LogLevel.Warning, "An API key is shorter than {MinimumLength} characters: accepted only because the server listens on loopback")]
        public static partial void ShortApiKey(Microsoft.Extensions.Logging.ILogger logger, int minimumLength);
    }
}
