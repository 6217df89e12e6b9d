using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>One kept failed item: its metadata file and, when its input was kept, its data file.</summary>
/// <param name="MetadataPath">The <c>.json</c> file: <c>{name, mimeType, error, attempts, failedAt, size, hasData}</c>.</param>
/// <param name="DataPath">The <c>.bin</c> file with the object's input, or null when only the metadata was kept.</param>
/// <param name="Name">The object's name.</param>
/// <param name="MimeType">The object's MIME type.</param>
/// <param name="Size">The input's size in bytes (as received, also when not kept).</param>
public sealed record FailedItem(string MetadataPath, string? DataPath, string Name, string MimeType, long Size);

/// <summary>
/// A task's failed items: objects that still failed after their retries, kept under the task's
/// <c>failed/</c> folder so <c>rrext_retry_failed</c> can run them again. Each item is a metadata file
/// (written last, so its presence means the item is complete) and, within the caps, a data file with the
/// object's input. Beyond the per-item or per-task cap only the metadata is kept.
/// </summary>
public sealed class FailedItemStore
{
    private const string MetadataExtension = ".json";
    private const string DataExtension = ".bin";

    private readonly string _directory;
    private readonly long _maxItemBytes;
    private readonly long _maxTaskBytes;
    private readonly RetryTracker _tracker;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _usedBytes;
    private long _sequence;

    /// <summary>Opens (creating when needed) the store in <paramref name="directory"/>; items already there count.</summary>
    public FailedItemStore(string directory, long maxItemBytes, long maxTaskBytes, RetryTracker tracker, TimeProvider time)
    {
        _directory = directory;
        _maxItemBytes = maxItemBytes;
        _maxTaskBytes = maxTaskBytes;
        _tracker = tracker;
        _time = time;
        var existing = List(directory);
        _usedBytes = existing.Sum(i => i.DataPath is null ? 0 : i.Size);
        _sequence = existing.Count == 0 ? 0 : existing.Max(i => Sequence(i.MetadataPath));
        tracker.SetFailedItems(existing.Count);
    }

    /// <summary>The largest input kept for one item.</summary>
    public long MaxItemBytes => _maxItemBytes;

    /// <summary>
    /// Keeps an item. <paramref name="content"/> is its input (null when it is not available, e.g. too large to
    /// have been buffered); its data is kept when it fits both caps. Returns a warning when only the metadata
    /// was kept, else null.
    /// </summary>
    public async Task<string?> KeepAsync(string name, string mimeType, string error, int attempts, Stream? content, long size, CancellationToken cancellationToken)
    {
        long sequence;
        lock (_lock)
        {
            sequence = ++_sequence;
        }

        Directory.CreateDirectory(_directory);
        var stem = Path.Combine(_directory, sequence.ToString("D6", CultureInfo.InvariantCulture));
        string? reason = content is null ? $"its input ({size} bytes) was larger than the per-item cap of {_maxItemBytes} bytes" : null;
        long kept = 0;
        if (content is not null)
        {
            (kept, reason) = await CopyCappedAsync(content, stem + DataExtension, cancellationToken).ConfigureAwait(false);
            size = Math.Max(size, kept);
        }

        var metadata = new JsonObject
        {
            ["name"] = name,
            ["mimeType"] = mimeType,
            ["error"] = error,
            ["attempts"] = attempts,
            ["failedAt"] = RetryTracker.Iso(_time.GetUtcNow()),
            ["size"] = size,
            ["hasData"] = reason is null,
        };
        await File.WriteAllTextAsync(stem + MetadataExtension + ".tmp", metadata.ToJsonString(), cancellationToken).ConfigureAwait(false);
        File.Move(stem + MetadataExtension + ".tmp", stem + MetadataExtension, overwrite: true);
        _tracker.ItemKept();
        return reason is null ? null : $"Failed item \"{name}\" kept without its input: {reason}";
    }

    /// <summary>The complete items in <paramref name="directory"/>, oldest first; none when it does not exist.</summary>
    public static IReadOnlyList<FailedItem> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var items = new List<FailedItem>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + MetadataExtension).Order(StringComparer.Ordinal))
        {
            JsonObject? metadata;
            try
            {
                metadata = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                continue;
            }

            if (metadata is null)
            {
                continue;
            }

            var data = Path.ChangeExtension(path, DataExtension);
            var hasData = metadata["hasData"]?.GetValueKind() == JsonValueKind.True && File.Exists(data);
            items.Add(new FailedItem(
                path,
                hasData ? data : null,
                metadata["name"]?.GetValue<string>() ?? Path.GetFileNameWithoutExtension(path),
                metadata["mimeType"]?.GetValue<string>() ?? "application/octet-stream",
                metadata["size"] is JsonValue s && s.TryGetValue(out long size) ? size : 0));
        }

        return items;
    }

    private async Task<(long Kept, string? Reason)> CopyCappedAsync(Stream content, string path, CancellationToken cancellationToken)
    {
        long copied = 0;
        string? reason = null;
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (copied + read > _maxItemBytes)
                {
                    reason = $"its input was larger than the per-item cap of {_maxItemBytes} bytes";
                    break;
                }

                if (!Reserve(read))
                {
                    reason = $"the task's failed items reached their cap of {_maxTaskBytes} bytes";
                    break;
                }

                copied += read;
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        if (reason is null)
        {
            return (copied, null);
        }

        // Give back what this item had reserved: a later, smaller item may still fit.
        Release(copied);
        File.Delete(path);
        return (copied, reason);
    }

    private bool Reserve(long bytes)
    {
        lock (_lock)
        {
            if (_usedBytes + bytes > _maxTaskBytes)
            {
                return false;
            }

            _usedBytes += bytes;
            return true;
        }
    }

    private void Release(long bytes)
    {
        lock (_lock)
        {
            _usedBytes = Math.Max(0, _usedBytes - bytes);
        }
    }

    private static long Sequence(string path) =>
        long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
