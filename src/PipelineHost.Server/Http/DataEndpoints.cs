using System.Buffers;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Http;

/// <summary>
/// <c>POST /task/data</c> and its aliases <c>POST /webhook</c> and (deprecated) <c>PUT /task/process</c>: send
/// objects into a running task. The body is streamed into the task's pipes, never buffered whole.
/// </summary>
/// <remarks>
/// <para>A multipart body is one stream, so its parts can only be read one after another. Each part is
/// written into its own pipe as it arrives (open, then 64 KiB writes); its <em>close</em>, which is where the
/// pipeline finishes the object and produces the result, is left running while the next part is read. Objects
/// therefore overlap inside the task, bounded by its pipe slots (<c>threads</c>): when all are busy the next
/// part's open waits for a close to finish. Reading parts concurrently would need buffering them, which this
/// server never does.</para>
/// <para>Because a part's close takes its pipe out of the manager's table before the next part is read, at
/// most one pipe of a request is open at any time; the request's owner id names it, so
/// <see cref="TaskManager.ReleasePipesOwnedBy"/> fails exactly that pipe when a part fails, and any pipe still
/// open when the request ends (the client went away).</para>
/// </remarks>
internal static class DataEndpoints
{
    /// <summary>Bytes read from the body and written to a pipe at a time.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>The object key of a raw (non-multipart) body.</summary>
    public const string BodyKey = "body";

    // Boundaries and part headers are not content: Kestrel's cap on the raw body leaves room for them, so the 413 a
    // client sees is ours, with its clear message, unless the framing itself is abusive.
    private const long MultipartFramingAllowance = 1024 * 1024;

    /// <summary>The size limits of one request: per object, for the whole body, and for the reply's object results.</summary>
    private sealed record BatchLimits(long ObjectMaxBytes, long RequestMaxBytes, long ReplyMaxBytes);

    public static IEndpointRouteBuilder MapDataEndpoints(this IEndpointRouteBuilder endpoints)
    {
        (string, string)[] query = [("token", "the task (tk_…), with an API key"), ("auth", "a credential, tk_… or pk_…, instead of the header")];
        endpoints.MapPost("/task/data", SendAsync)
            .Documented("SendTaskData", "Sends files (multipart) or one raw body to a running task; answers the pipeline's results.", "Data", RouteCredentials.ApiKey, query);
        endpoints.MapPost("/webhook", SendAsync)
            .Documented("Webhook", "The same as POST /task/data, for web hook callers holding the task's public key (pk_…).", "Data", RouteCredentials.ApiKey, query);
        endpoints.MapPut("/task/process", SendAsync) // deprecated spelling, kept for old clients
            .Documented("SendTaskDataDeprecated", "Deprecated spelling of POST /task/data.", "Data", RouteCredentials.ApiKey, query);
        return endpoints;
    }

    private static async Task<IResult> SendAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator, ServerOptions options)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);

        // A tk_/pk_ names its own task; an API key needs ?token=.
        var task = tasks.GetTask(HttpCredentials.Token(context.Request), caller, Permissions.Data);
        var limits = new BatchLimits(options.MaxMessageSize, options.RequestMaxBytes, options.ReplyMaxBytes);
        var batch = new ObjectBatch(tasks, task, $"http:{Guid.NewGuid():N}", limits, context.RequestAborted);
        try
        {
            var request = context.Request;
            if (MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
                && contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    throw new HttpApiException(StatusCodes.Status400BadRequest, "A multipart/form-data body needs a boundary.");
                }

                // Kestrel's request-size cap equals the per-object limit; a form may carry several objects, so the
                // cap moves to each part (enforced while streaming) and to the whole request (--request-max-bytes,
                // counted over the parts' content here, and over the raw body, boundaries included, by Kestrel).
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = options.RequestMaxBytes + MultipartFramingAllowance;
                }

                await batch.ReadMultipartAsync(boundary, request.Body).ConfigureAwait(false);
            }
            else
            {
                await batch.ReadRawAsync(request).ConfigureAwait(false);
            }

            return ErrorEnvelope.Ok(await batch.ResultAsync().ConfigureAwait(false));
        }
        finally
        {
            await batch.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Lower-cased media type without parameters; <c>application/octet-stream</c> when absent.</summary>
    public static string NormalizeMime(string? contentType)
    {
        var media = (contentType ?? string.Empty).Split(';', 2)[0].Trim();
        return media.Length == 0 ? "application/octet-stream" : media.ToLowerInvariant();
    }

    /// <summary>The file name of a <c>Content-Disposition</c> value (<c>filename*</c> first), or null.</summary>
    public static string? FileName(string? contentDisposition) =>
        ContentDispositionHeaderValue.TryParse(contentDisposition, out var disposition) ? FileName(disposition) : null;

    private static string? FileName(ContentDispositionHeaderValue disposition)
    {
        var name = disposition.FileNameStar.HasValue ? disposition.FileNameStar : HeaderUtilities.RemoveQuotes(disposition.FileName);
        return string.IsNullOrEmpty(name.Value) ? null : name.Value;
    }

    /// <summary>The objects of one request and their outcomes, in arrival order.</summary>
    /// <remarks>
    /// The reply is bounded as the body is: each object's result is measured when its close returns, and once the
    /// results kept reach <see cref="BatchLimits.ReplyMaxBytes"/> a further object's result is replaced by a note
    /// (its outcome and result types stay). Without it, 150 one-megabyte parts to an echo pipeline built a 157 MB
    /// reply in memory.
    /// </remarks>
    private sealed class ObjectBatch(TaskManager tasks, PipelineTask task, string owner, BatchLimits limits, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly List<(string Key, Task<ObjectOutcome> Outcome)> _objects = [];
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        private readonly long _maxObjectSize = Math.Min(limits.ObjectMaxBytes, limits.RequestMaxBytes);
        private long _bodyBytes;
        private long _replyBytes;

        public async Task ReadMultipartAsync(string boundary, Stream body)
        {
            try
            {
                await ReadSectionsAsync(new MultipartReader(boundary, body)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException
                || (ex is IOException and not BadHttpRequestException && !cancellationToken.IsCancellationRequested))
            {
                // MultipartReader's complaints about the framing: bad headers (InvalidDataException), or a body that
                // ends before the closing boundary (IOException from the section stream while the client is still
                // there). Kestrel's own refusals keep their status.
                throw new HttpApiException(StatusCodes.Status400BadRequest, $"Malformed multipart body: {ex.Message}");
            }
        }

        private async Task ReadSectionsAsync(MultipartReader reader)
        {
            while (true)
            {
                var section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
                if (section is null)
                {
                    return;
                }

                ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition);
                var field = HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).Value;
                field = string.IsNullOrEmpty(field) ? "part" : field;
                var fileName = disposition is null ? null : FileName(disposition);

                // File parts keep their name and type; text fields become text/plain objects named <field>-<uuid>.
                var (name, mime) = fileName is not null
                    ? (fileName, NormalizeMime(section.ContentType))
                    : ($"{field}-{Guid.NewGuid():D}", "text/plain");
                Task<ObjectOutcome> outcome;
                try
                {
                    outcome = await StreamAsync(new JsonObject { ["name"] = name }, mime, section.Body).ConfigureAwait(false);
                }
                catch (HttpApiException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && _bodyBytes <= limits.RequestMaxBytes)
                {
                    // One oversized part fails alone; the rest of it is skipped by the next ReadNextSectionAsync.
                    outcome = Task.FromResult(ObjectOutcome.Failed(ex.Message));
                }

                _objects.Add((field, outcome));
            }
        }

        public async Task ReadRawAsync(HttpRequest request)
        {
            if (request.ContentLength > _maxObjectSize)
            {
                throw TooLarge();
            }

            var info = new JsonObject { ["name"] = FileName(request.Headers.ContentDisposition) ?? $"stream-{Guid.NewGuid():D}" };
            if (request.ContentLength is { } size)
            {
                info["size"] = size;
            }

            _objects.Add((BodyKey, await StreamAsync(info, NormalizeMime(request.ContentType), request.Body).ConfigureAwait(false)));
        }

        /// <summary>
        /// Opens a pipe and writes <paramref name="source"/> into it; returns the close, still running. A task error
        /// becomes the object's failed outcome; a failure to read the body fails the pipe and the request.
        /// </summary>
        private async Task<Task<ObjectOutcome>> StreamAsync(JsonObject info, string mime, Stream source)
        {
            int pipeId;
            try
            {
                pipeId = await tasks.OpenPipeAsync(task, info, mime, null, owner, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskException ex)
            {
                return Task.FromResult(ObjectOutcome.Failed(ex.Message));
            }

            long written = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await FillAsync(source).ConfigureAwait(false);
                }
                catch
                {
                    tasks.ReleasePipesOwnedBy(owner);
                    throw;
                }

                if (read == 0)
                {
                    break;
                }

                written += read;
                if (written > _maxObjectSize)
                {
                    tasks.ReleasePipesOwnedBy(owner);
                    throw TooLarge();
                }

                try
                {
                    // The chunk is encoded into the worker's frame before this returns, so the buffer is free after.
                    await tasks.WritePipeAsync(task, pipeId, _buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                catch (TaskException ex)
                {
                    tasks.ReleasePipesOwnedBy(owner);
                    return Task.FromResult(ObjectOutcome.Failed(ex.Message));
                }
            }

            // ClosePipeAsync takes the pipe out of the table before its first await: the next part starts clean.
            return CloseAsync(pipeId);
        }

        private async Task<ObjectOutcome> CloseAsync(int pipeId)
        {
            try
            {
                var outcome = ObjectOutcome.Completed(await tasks.ClosePipeAsync(task, pipeId, cancellationToken).ConfigureAwait(false));
                var size = JsonSize.Of(outcome.Entry);
                if (Interlocked.Add(ref _replyBytes, size) <= limits.ReplyMaxBytes)
                {
                    return outcome;
                }

                Interlocked.Add(ref _replyBytes, -size);
                return outcome.WithoutResult(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The object completed; its result ({size} bytes) was left out because this reply reached its limit of {limits.ReplyMaxBytes} bytes (--reply-max-bytes). Send fewer objects per request, or use a writer component and GET /task/output."));
            }
            catch (TaskException ex)
            {
                return ObjectOutcome.Failed(ex.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ObjectOutcome.Failed("The client went away");
            }
        }

        /// <summary>Reads up to a whole chunk, so pipes get full 64 KiB writes rather than whatever a read returned.</summary>
        private async Task<int> FillAsync(Stream source)
        {
            var filled = 0;
            while (filled < ChunkSize)
            {
                var read = await source.ReadAsync(_buffer.AsMemory(filled, ChunkSize - filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                _bodyBytes += read;
                if (_bodyBytes > limits.RequestMaxBytes)
                {
                    throw new HttpApiException(
                        StatusCodes.Status413PayloadTooLarge,
                        string.Create(CultureInfo.InvariantCulture, $"The request body must be at most {limits.RequestMaxBytes} bytes in all (--request-max-bytes); send the objects in several requests."));
                }
            }

            return filled;
        }

        public async Task<JsonObject> ResultAsync()
        {
            var outcomes = await Task.WhenAll(_objects.Select(o => o.Outcome)).ConfigureAwait(false);
            var keys = Keys(_objects.Select(o => o.Key).ToList());
            var objects = new JsonObject();
            var resultTypes = new JsonObject();
            for (var i = 0; i < outcomes.Length; i++)
            {
                objects[keys[i]] = outcomes[i].Entry;
                foreach (var (type, value) in outcomes[i].ResultTypes ?? [])
                {
                    resultTypes[type] = value?.DeepClone();
                }
            }

            return new JsonObject
            {
                ["objectsRequested"] = outcomes.Length,
                ["objectsCompleted"] = outcomes.Count(o => o.IsCompleted),
                ["resultTypes"] = resultTypes,
                ["objects"] = objects,
            };
        }

        /// <summary>Field names as keys; a name used more than once becomes <c>name_0</c>, <c>name_1</c>, ….</summary>
        private static List<string> Keys(List<string> fields)
        {
            var counts = fields.GroupBy(f => f, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var keys = new List<string>(fields.Count);
            foreach (var field in fields)
            {
                if (counts[field] == 1)
                {
                    keys.Add(field);
                    continue;
                }

                var index = seen.GetValueOrDefault(field);
                seen[field] = index + 1;
                keys.Add(string.Create(CultureInfo.InvariantCulture, $"{field}_{index}"));
            }

            return keys;
        }

        private HttpApiException TooLarge() => new(
            StatusCodes.Status413PayloadTooLarge,
            string.Create(CultureInfo.InvariantCulture, $"An object must be at most {_maxObjectSize} bytes."));

        public async ValueTask DisposeAsync()
        {
            // Whatever is still open (the client went away mid-object) is failed and its slot returned; closes
            // already under way are waited for, so none outlives the request unobserved.
            tasks.ReleasePipesOwnedBy(owner);
            await Task.WhenAll(_objects.Select(o => (Task)o.Outcome)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    /// <summary>The UTF-8 size of a JSON value as the reply writes it, measured without keeping the bytes.</summary>
    private sealed class JsonSize : IBufferWriter<byte>
    {
        private byte[] _scratch = [];
        private long _count;

        public static long Of(JsonNode node)
        {
            var counter = new JsonSize();
            try
            {
                using (var writer = new System.Text.Json.Utf8JsonWriter(counter))
                {
                    node.WriteTo(writer);
                }

                return counter._count;
            }
            finally
            {
                if (counter._scratch.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(counter._scratch);
                }
            }
        }

        public void Advance(int count) => _count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint).Span;

        private Memory<byte> Scratch(int sizeHint)
        {
            var size = Math.Max(sizeHint, 4096);
            if (_scratch.Length < size)
            {
                if (_scratch.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(_scratch);
                }

                _scratch = ArrayPool<byte>.Shared.Rent(size);
            }

            return _scratch;
        }
    }

    /// <summary>One object's entry in the response and its result types.</summary>
    private sealed record ObjectOutcome(JsonObject Entry, JsonObject? ResultTypes, bool IsCompleted)
    {
        public static ObjectOutcome Failed(string message) => new(ErrorEnvelope.ErrorBody(message), null, false);

        /// <summary>A completed object whose result did not fit in the reply: its outcome and a note.</summary>
        public ObjectOutcome WithoutResult(string note) =>
            this with { Entry = new JsonObject { ["status"] = "OK", ["resultOmitted"] = true, ["message"] = note } };

        /// <summary>The PIPELINE_RESULT without <c>result_types</c>, with <c>"status":"OK"</c> first.</summary>
        public static ObjectOutcome Completed(JsonObject result)
        {
            var resultTypes = result["result_types"] as JsonObject;
            result.Remove("result_types");
            var properties = result.ToList();
            result.Clear();
            var entry = new JsonObject { ["status"] = "OK" };
            foreach (var (key, value) in properties)
            {
                entry[key] = value;
            }

            return new ObjectOutcome(entry, resultTypes, true);
        }
    }
}
