using System.Text.Json.Nodes;
using PipelineHost.Protocol;

namespace PipelineHost.Client;

/// <summary>
/// A connection to a PipelineHost or RocketRide server: one WebSocket, authenticated once, carrying any number of
/// concurrent requests and event monitors. Thread-safe. Dispose it to disconnect.
/// </summary>
/// <example>
/// <code>
/// await using var client = await PipelineHostClient.ConnectAsync(new Uri("ws://127.0.0.1:5565"), apiKey);
/// var task = await client.UseAsync("examples/webhook-echo.pipe.json");
/// var result = await client.SendAsync(task.Token, "Hello");
/// Console.WriteLine(result.GetText());
/// await client.TerminateAsync(task.Token);
/// </code>
/// </example>
public sealed partial class PipelineHostClient : IAsyncDisposable
{
    private readonly PipelineHostClientOptions _options;
    private readonly MonitorRegistry _monitors = new();
    private readonly SemaphoreSlim _monitorUpdates = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private string _credential;
    private ClientConnection? _connection;
    private TaskCompletionSource<ClientConnection> _nextConnection = NewConnectionSource();
    private PipelineHostException? _fatal;
    private Task _reconnecting = Task.CompletedTask;
    private long _seq;
    private bool _disposed;

    private PipelineHostClient(Uri serviceUri, string credential, PipelineHostClientOptions options)
    {
        Uri = serviceUri;
        _credential = credential;
        _options = options;
    }

    /// <summary>The normalised WebSocket address, e.g. <c>ws://127.0.0.1:5565/task/service</c>.</summary>
    public Uri Uri { get; }

    /// <summary>True while a connection is up (false while reconnecting).</summary>
    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _connection is { IsClosed: false };
            }
        }
    }

    /// <summary>The encoding in use: MessagePack only when asked for and chosen by the server.</summary>
    public MessageEncoding Encoding { get; private set; }

    /// <summary>The account information <c>auth</c> returned on the latest (re)connection.</summary>
    public JsonObject AccountInfo { get; private set; } = [];

    /// <summary>Raised when the connection drops unexpectedly (before any reconnect attempt).</summary>
    public event EventHandler<PipelineHostConnectionException>? ConnectionLost;

    /// <summary>Raised after an automatic reconnect has authenticated and restored the monitors.</summary>
    public event EventHandler? Reconnected;

    /// <summary>Connects to <paramref name="uri"/> and authenticates with <paramref name="credential"/>.</summary>
    /// <param name="uri">The server: <c>ws://host:port</c>, <c>http(s)://…</c> or a bare <c>host:port</c> (see <see cref="ServiceUri.Normalize"/>).</param>
    /// <param name="credential">An API key, or a task's <c>tk_</c>/<c>pk_</c> token.</param>
    /// <param name="options">Connection behaviour; defaults when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="PipelineHostConnectionException">The server could not be reached.</exception>
    /// <exception cref="PipelineHostAuthenticationException">The server rejected the credential.</exception>
    public static Task<PipelineHostClient> ConnectAsync(Uri uri, string credential, PipelineHostClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ConnectAsync(uri.OriginalString, credential, options, cancellationToken);
    }

    /// <summary>Connects to <paramref name="address"/> (e.g. <c>localhost:5565</c>) and authenticates with <paramref name="credential"/>.</summary>
    /// <param name="address">The server, as <see cref="ServiceUri.Normalize"/> reads it.</param>
    /// <param name="credential">An API key, or a task's <c>tk_</c>/<c>pk_</c> token.</param>
    /// <param name="options">Connection behaviour; defaults when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="PipelineHostConnectionException">The server could not be reached.</exception>
    /// <exception cref="PipelineHostAuthenticationException">The server rejected the credential.</exception>
    public static async Task<PipelineHostClient> ConnectAsync(string address, string credential, PipelineHostClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var client = new PipelineHostClient(ServiceUri.Normalize(address), credential, options ?? new PipelineHostClientOptions());
        try
        {
            var connection = await client.OpenAuthenticatedAsync(cancellationToken).ConfigureAwait(false);
            _ = client.Publish(connection);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends any command and returns its body (<c>{}</c> when the server sent none): the escape hatch for commands
    /// this SDK has no method for. The task token, if any, belongs in <paramref name="arguments"/> as <c>token</c>.
    /// </summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments; the SDK does not keep or change them.</param>
    /// <param name="cancellationToken">Stops waiting for the answer (the server may still act on the request).</param>
    /// <exception cref="PipelineHostException">The server answered with a failure.</exception>
    /// <exception cref="PipelineHostConnectionException">The connection dropped before the answer.</exception>
    /// <exception cref="TimeoutException"><see cref="PipelineHostClientOptions.RequestTimeout"/> passed.</exception>
    public Task<JsonObject> CallAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return CallAsync(command, arguments, data: null, cancellationToken);
    }

    internal async Task<JsonObject> CallAsync(string command, JsonObject? arguments, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken) =>
        (await CallWithConnectionAsync(command, arguments, data, cancellationToken).ConfigureAwait(false)).Body;

    /// <summary>A request on whichever connection is current, waiting for one while reconnecting; also says which answered.</summary>
    internal Task<(JsonObject Body, ClientConnection Connection)> CallWithConnectionAsync(
        string command, JsonObject? arguments, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken) =>
        WithTimeoutAsync(command, async token =>
        {
            var connection = await CurrentConnectionAsync(token).ConfigureAwait(false);
            return (await RequestAsync(connection, command, arguments, data, token).ConfigureAwait(false), connection);
        }, cancellationToken);

    /// <summary>
    /// A request on one given connection, never another: for state the server keeps per connection (open pipes),
    /// which a reconnect does not bring back.
    /// </summary>
    internal Task<JsonObject> CallOnAsync(ClientConnection connection, string command, JsonObject? arguments, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken) =>
        WithTimeoutAsync(command, token => RequestAsync(connection, command, arguments, data, token), cancellationToken);

    private async Task<T> WithTimeoutAsync<T>(string command, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = _options.RequestTimeout is { } limit ? new CancellationTokenSource(limit, _options.TimeProvider) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await call(linked?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The server did not answer '{command}' within {_options.RequestTimeout}.");
        }
    }

    private async Task<JsonObject> RequestAsync(ClientConnection connection, string command, JsonObject? arguments, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken)
    {
        // One counter for the client's life, never reset on reconnect (as the SDKs), so a late answer from an old
        // connection can never be taken for a new request's.
        var request = new RequestMessage(command) { Seq = Interlocked.Increment(ref _seq), Arguments = arguments, Data = data };
        var response = await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.Success)
        {
            throw new PipelineHostException(response.Message ?? $"The server refused '{command}'.", command);
        }

        return response.Body switch
        {
            JsonObject body => body,
            null => [],
            var other => new JsonObject { ["value"] = other.DeepClone() },
        };
    }

    private async Task<ClientConnection> CurrentConnectionAsync(CancellationToken cancellationToken)
    {
        Task<ClientConnection> next;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsClosed: false } connection)
            {
                return connection;
            }

            if (_fatal is not null)
            {
                throw _fatal is PipelineHostAuthenticationException auth
                    ? new PipelineHostAuthenticationException(auth.Message, auth)
                    : new PipelineHostConnectionException(_fatal.Message, _fatal);
            }

            next = _nextConnection.Task;
        }

        // Only reached with AutoReconnect: the request waits for the new connection instead of failing.
        return await next.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ClientConnection> OpenAuthenticatedAsync(CancellationToken cancellationToken)
    {
        var connection = await ClientConnection.OpenAsync(Uri, _options, _monitors.Route, cancellationToken).ConfigureAwait(false);
        try
        {
            var arguments = new JsonObject
            {
                ["auth"] = _credential,
                ["clientName"] = _options.ClientName,
                ["clientVersion"] = _options.ClientVersion,
            };
            var response = await connection.SendAsync(new RequestMessage("auth") { Seq = Interlocked.Increment(ref _seq), Arguments = arguments }, cancellationToken)
                .ConfigureAwait(false);
            if (!response.Success)
            {
                throw new PipelineHostAuthenticationException(response.Message ?? "Authentication failed");
            }

            var account = response.Body as JsonObject ?? [];

            // The Python SDK reconnects with userToken when the server gives one: it is the credential to keep.
            if (JsonFields.String(account, "userToken") is { Length: > 0 } userToken)
            {
                _credential = userToken;
            }

            AccountInfo = account;
            Encoding = connection.Encoding;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes <paramref name="connection"/> the current one; false when the client was disposed meanwhile.</summary>
    private bool Publish(ClientConnection connection)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _connection = connection;
            _nextConnection.TrySetResult(connection);
        }

        // Watch after publishing: if it died in between, the watcher runs at once and sees it as current.
        _ = connection.Closed.ContinueWith(closed => OnClosed(connection, closed.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    private void OnClosed(ClientConnection connection, PipelineHostConnectionException reason)
    {
        lock (_gate)
        {
            if (_connection != connection || _disposed)
            {
                return;
            }

            _connection = null;
            if (!_options.AutoReconnect)
            {
                _fatal = reason;
            }
            else
            {
                _nextConnection = NewConnectionSource();
                _reconnecting = Task.Run(ReconnectAsync);
            }
        }

        ConnectionLost?.Invoke(this, reason);
        _ = connection.DisposeAsync().AsTask();
    }

    private async Task ReconnectAsync()
    {
        var backoff = new ReconnectBackoff();
        var stopping = _lifetime.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(backoff.Next(), _options.TimeProvider, stopping).ConfigureAwait(false);
                var connection = await OpenAuthenticatedAsync(stopping).ConfigureAwait(false);
                try
                {
                    await RestoreMonitorsAsync(connection, stopping).ConfigureAwait(false);
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                if (!Publish(connection))
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                Reconnected?.Invoke(this, EventArgs.Empty);
                return;
            }
            catch (PipelineHostAuthenticationException ex)
            {
                // A rejected credential will not get better by retrying (the SDKs stop here too).
                GiveUp(ex);
                return;
            }
            catch (PipelineHostConnectionException)
            {
                // The server is not back yet: wait longer and try again.
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // Anything else (a handshake timeout, say) is treated as the server not being ready yet: the
                // backoff keeps retries cheap.
            }
        }

        GiveUp(new PipelineHostConnectionException("The client was disposed."));
    }

    private void GiveUp(PipelineHostException reason)
    {
        lock (_gate)
        {
            _fatal ??= reason;
            _nextConnection.TrySetException(reason is PipelineHostAuthenticationException
                ? new PipelineHostAuthenticationException(reason.Message, reason)
                : new PipelineHostConnectionException(reason.Message, reason));
        }
    }

    private static TaskCompletionSource<ClientConnection> NewConnectionSource()
    {
        var source = new TaskCompletionSource<ClientConnection>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Nobody may be waiting when the client gives up; observe the exception so it is not reported as unobserved.
        _ = source.Task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return source;
    }

    /// <summary>Stops reconnecting, ends every monitor and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        ClientConnection? connection;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connection = _connection;
            _connection = null;
            _fatal ??= new PipelineHostConnectionException("The client was disposed.");
            _nextConnection.TrySetException(new ObjectDisposedException(nameof(PipelineHostClient)));
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _reconnecting.ConfigureAwait(false);
        _monitors.CompleteAll(null);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _lifetime.Dispose();
    }
}
