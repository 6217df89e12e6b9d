using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Hosting;

/// <summary>Task-end callbacks: the signing key, the HTTP client they are sent with, the dispatcher.</summary>
public static class CallbackServices
{
    /// <summary>
    /// Registers the signing key (configured, or generated once into <c>&lt;data-dir&gt;/callback-signing-key</c>),
    /// a named HTTP client whose handler checks every resolved address (<see cref="CallbackHttp"/>) and logs nothing
    /// (the factory's default loggers would write every callback's address, whose path may itself be a secret), and
    /// the dispatcher as a task observer and as a hosted service. Register after the task history: hosted services
    /// start in order, and resuming pending deliveries needs the history's recovery done.
    /// </summary>
    public static IServiceCollection AddTaskCallbacks(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(_ => CallbackSigningKey.LoadOrCreate(options.Callbacks.SigningKey, options.DataDirectory));
        services.AddHttpClient(CallbackDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => CallbackHttp.CreateHandler(options.Callbacks.AllowPrivateNetworks))
            .RemoveAllLoggers();
        services.AddSingleton<CallbackDispatcher>();
        services.AddSingleton<ITaskObserver>(sp => sp.GetRequiredService<CallbackDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<CallbackDispatcher>());
        return services;
    }
}
