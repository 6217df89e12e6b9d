using System.Buffers;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

// The data path: objects streamed into a task through pipes (rrext_process open / write / close).
public sealed partial class PipelineHostClient
{
    /// <summary>Payloads go to the server in writes of at most this many bytes (as the Python SDK's file upload).</summary>
    public const int ChunkSize = 1024 * 1024;

    private const string OctetStream = "application/octet-stream";

    /// <summary>Opens a pipe for one object; write to it, then close it for the result.</summary>
    /// <param name="token">The task token (or its public key).</param>
    /// <param name="objectInfo">The object's metadata, e.g. <c>{"name": "a.txt", "size": 12}</c>; copied, not changed.</param>
    /// <param name="mimeType">Chooses the lane: <c>text/*</c> → text, <c>image/*</c> → image, …; octet-stream by default.</param>
    /// <param name="cancellationToken">Stops waiting (a task with every pipe busy makes <c>open</c> wait).</param>
    public async Task<DataPipe> OpenPipeAsync(string token, JsonObject? objectInfo = null, string? mimeType = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var (body, connection) = await CallWithConnectionAsync("rrext_process", new JsonObject
        {
            ["subcommand"] = "open",
            ["object"] = objectInfo?.DeepClone() ?? new JsonObject(),
            ["mimeType"] = string.IsNullOrEmpty(mimeType) ? OctetStream : mimeType,
            ["token"] = token,
        }, null, cancellationToken).ConfigureAwait(false);
        var pipeId = JsonFields.NullableInt64(body, "pipe_id")
            ?? throw new PipelineHostException("The server's answer to 'rrext_process open' has no pipe_id.", "rrext_process");
        return new DataPipe(this, connection, token, pipeId);
    }

    /// <summary>Sends text as one object (<c>text/plain</c> unless told otherwise) and returns the pipeline's result.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="text">The text, sent as UTF-8.</param>
    /// <param name="objectInfo">Optional metadata such as <c>name</c>.</param>
    /// <param name="mimeType">The type; <c>text/plain</c> by default.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<PipelineResult> SendAsync(string token, string text, JsonObject? objectInfo = null, string? mimeType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendAsync(token, System.Text.Encoding.UTF8.GetBytes(text), objectInfo, mimeType ?? "text/plain", cancellationToken);
    }

    /// <summary>Sends bytes as one object and returns the pipeline's result.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="data">The bytes, written in chunks of <see cref="ChunkSize"/>.</param>
    /// <param name="objectInfo">Optional metadata such as <c>name</c>; <c>size</c> is set to the byte count.</param>
    /// <param name="mimeType">The type; octet-stream by default.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<PipelineResult> SendAsync(string token, byte[] data, JsonObject? objectInfo = null, string? mimeType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var stream = new MemoryStream(data, writable: false);
        return await SendAsync(token, stream, objectInfo, mimeType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams a file as one object, named after the file, its type guessed from the extension.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="file">The file.</param>
    /// <param name="objectInfo">Extra metadata; <c>name</c> defaults to the file name.</param>
    /// <param name="mimeType">The type; guessed from the extension when null.</param>
    /// <param name="cancellationToken">Stops reading and waiting.</param>
    public async Task<PipelineResult> SendAsync(string token, FileInfo file, JsonObject? objectInfo = null, string? mimeType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var info = objectInfo?.DeepClone().AsObject() ?? [];
        info["name"] ??= file.Name;
        var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return await SendAsync(token, stream, info, mimeType ?? MimeTypes.FromFileName(file.Name), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Streams <paramref name="content"/> to its end as one object, in writes of at most <see cref="ChunkSize"/>
    /// bytes, and returns the pipeline's result. If anything fails after the pipe opened, the pipe is closed before
    /// the failure is reported, as the SDKs do.
    /// </summary>
    /// <param name="token">The task token.</param>
    /// <param name="content">The bytes; read from its current position, not disposed.</param>
    /// <param name="objectInfo">Optional metadata; <c>size</c> is set from a seekable stream's length.</param>
    /// <param name="mimeType">The type; octet-stream by default.</param>
    /// <param name="cancellationToken">Stops reading and waiting.</param>
    public async Task<PipelineResult> SendAsync(string token, Stream content, JsonObject? objectInfo = null, string? mimeType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var info = objectInfo?.DeepClone().AsObject() ?? [];
        if (content.CanSeek)
        {
            // The SDKs never send size 0: some servers read it as "unknown".
            info["size"] = Math.Max(1, content.Length - content.Position);
        }

        var pipe = await OpenPipeAsync(token, info, mimeType, cancellationToken).ConfigureAwait(false);
        await using (pipe.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                int read;
                while ((read = await ReadChunkAsync(content, buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await pipe.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return await pipe.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Fills the buffer as far as the stream allows, so network streams do not turn into many tiny writes.
    private static async Task<int> ReadChunkAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < ChunkSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, ChunkSize - filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
