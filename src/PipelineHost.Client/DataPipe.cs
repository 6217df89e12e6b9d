using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>
/// One object being streamed into a task (<c>rrext_process</c> open → write… → close). Writes must be awaited one
/// after another; each chunk reaches the pipeline as it was written. Disposing an unclosed pipe closes it.
/// </summary>
/// <remarks>
/// The server keeps a pipe with the connection that opened it and drops it when that connection ends, so a pipe
/// never follows an automatic reconnect: after a drop its calls fail with <see cref="PipelineHostConnectionException"/>.
/// </remarks>
public sealed class DataPipe : IAsyncDisposable
{
    private readonly PipelineHostClient _client;
    private readonly ClientConnection _connection;
    private int _closed;

    internal DataPipe(PipelineHostClient client, ClientConnection connection, string token, long pipeId)
    {
        _client = client;
        _connection = connection;
        Token = token;
        PipeId = pipeId;
    }

    /// <summary>The task it writes to.</summary>
    public string Token { get; }

    /// <summary>The server's id of the pipe.</summary>
    public long PipeId { get; }

    /// <summary>True once closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Writes one chunk (a binary frame: the bytes travel as they are).</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Stops waiting for the server's acknowledgement.</param>
    /// <exception cref="InvalidOperationException">The pipe is closed.</exception>
    /// <exception cref="PipelineHostException">The pipeline failed the write.</exception>
    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (IsClosed)
        {
            throw new InvalidOperationException("The pipe is closed.");
        }

        return _client.CallOnAsync(_connection, "rrext_process", Arguments("write"), data, cancellationToken);
    }

    /// <summary>Ends the object and returns what the pipeline made of it.</summary>
    /// <param name="cancellationToken">Stops waiting for the result.</param>
    /// <exception cref="InvalidOperationException">The pipe is already closed.</exception>
    /// <exception cref="PipelineHostException">The pipeline failed the object.</exception>
    public async Task<PipelineResult> CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            throw new InvalidOperationException("The pipe is already closed.");
        }

        var body = await _client.CallOnAsync(_connection, "rrext_process", Arguments("close"), null, cancellationToken).ConfigureAwait(false);
        return PipelineResult.FromJson(body);
    }

    /// <summary>Closes the pipe if it is open, ignoring the result and any failure (the pipe is abandoned either way).</summary>
    public async ValueTask DisposeAsync()
    {
        if (IsClosed)
        {
            return;
        }

        try
        {
            await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PipelineHostException or InvalidOperationException or ObjectDisposedException or TimeoutException)
        {
            // Disposal is cleanup: the server frees the pipe with the connection anyway.
        }
    }

    private JsonObject Arguments(string subcommand) => new()
    {
        ["subcommand"] = subcommand,
        ["pipe_id"] = PipeId,
        ["token"] = Token,
    };
}
