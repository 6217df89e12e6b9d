using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// The open files of one connection to the <see cref="FileStore"/>. Handles are opaque strings, valid only on the
/// connection that opened them, at most <see cref="MaxHandles"/> at a time; disposing the table (when the
/// connection closes) closes them all.
/// </summary>
public sealed class FileHandleTable(FileStore store) : IDisposable
{
    /// <summary>Open handles one connection may hold.</summary>
    public const int MaxHandles = 64;

    /// <summary>The largest <c>fs_read</c> length (4 MiB, the SDKs' default).</summary>
    public const int MaxReadLength = 4 * 1024 * 1024;

    private readonly Dictionary<string, OpenFile> _files = new(StringComparer.Ordinal);
    private long _next;
    private bool _disposed;

    /// <summary>Handles currently open.</summary>
    public int Count
    {
        get
        {
            lock (_files)
            {
                return _files.Count;
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading (<c>r</c>: it must exist; its size is returned) or writing
    /// (<c>w</c>: created or truncated, parent folders created).
    /// </summary>
    public (string Handle, long? Size) Open(string userId, string path, string? mode)
    {
        var writing = mode switch
        {
            "r" => false,
            "w" => true,
            null => throw new FileStoreException("Argument 'mode' is required ('r' or 'w')."),
            _ => throw new FileStoreException($"Unknown mode '{mode}' (expected 'r' or 'w')."),
        };
        var full = store.Resolve(userId, path);
        if (Directory.Exists(full))
        {
            throw new FileStoreException($"'{path}' is a folder.");
        }

        lock (_files)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_files.Count >= MaxHandles)
            {
                throw new FileStoreException(string.Create(CultureInfo.InvariantCulture, $"Too many open files: at most {MaxHandles} per connection; close some with fs_close."));
            }
        }

        SafeFileHandle handle;
        if (writing)
        {
            handle = FileStore.Guard(
                () =>
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    return File.OpenHandle(full, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
                },
                path);
        }
        else
        {
            if (!File.Exists(full))
            {
                throw new FileStoreException($"File '{path}' does not exist.");
            }

            handle = FileStore.Guard(() => File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous), path);
        }

        var file = new OpenFile(handle, writing, path);
        lock (_files)
        {
            if (_disposed || _files.Count >= MaxHandles)
            {
                handle.Dispose();
                ObjectDisposedException.ThrowIf(_disposed, this);
                throw new FileStoreException(string.Create(CultureInfo.InvariantCulture, $"Too many open files: at most {MaxHandles} per connection; close some with fs_close."));
            }

            var id = "fh_" + (++_next).ToString(CultureInfo.InvariantCulture);
            _files[id] = file;
            return (id, writing ? null : RandomAccess.GetLength(handle));
        }
    }

    /// <summary>Up to <paramref name="length"/> bytes from <paramref name="offset"/>; fewer at the end, none past it.</summary>
    public async Task<byte[]> ReadAsync(string handle, long offset, int length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var file = Get(handle);
        if (file.Writing)
        {
            throw new FileStoreException($"Handle '{handle}' is open for writing.");
        }

        await file.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var size = RandomAccess.GetLength(file.Handle);
            var count = (int)Math.Clamp(size - offset, 0, length);
            var buffer = new byte[count];
            var filled = 0;
            while (filled < count)
            {
                var read = await RandomAccess.ReadAsync(file.Handle, buffer.AsMemory(filled), offset + filled, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            return filled == count ? buffer : buffer[..filled];
        }
        catch (ObjectDisposedException)
        {
            throw new FileStoreException($"Handle '{handle}' was closed.");
        }
        finally
        {
            file.Gate.Release();
        }
    }

    /// <summary>Appends <paramref name="data"/> at the handle's position; returns the bytes written.</summary>
    public async Task<int> WriteAsync(string handle, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var file = Get(handle);
        if (!file.Writing)
        {
            throw new FileStoreException($"Handle '{handle}' is open for reading.");
        }

        await file.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RandomAccess.WriteAsync(file.Handle, data, file.Position, cancellationToken).ConfigureAwait(false);
            file.Position += data.Length;
            return data.Length;
        }
        catch (ObjectDisposedException)
        {
            throw new FileStoreException($"Handle '{handle}' was closed.");
        }
        catch (IOException)
        {
            throw new FileStoreException($"Writing '{file.Path}' failed.");
        }
        finally
        {
            file.Gate.Release();
        }
    }

    /// <summary>Closes a handle.</summary>
    public void Close(string handle)
    {
        OpenFile? file;
        lock (_files)
        {
            if (!_files.Remove(handle, out file))
            {
                throw new FileStoreException($"Unknown file handle '{handle}'.");
            }
        }

        file.Handle.Dispose();
    }

    /// <summary>Closes every handle.</summary>
    public void Dispose()
    {
        List<OpenFile> open;
        lock (_files)
        {
            _disposed = true;
            open = [.. _files.Values];
            _files.Clear();
        }

        foreach (var file in open)
        {
            file.Handle.Dispose();
        }
    }

    private OpenFile Get(string handle)
    {
        lock (_files)
        {
            return _files.TryGetValue(handle, out var file) ? file : throw new FileStoreException($"Unknown file handle '{handle}'.");
        }
    }

    private sealed class OpenFile(SafeFileHandle handle, bool writing, string path)
    {
        public SafeFileHandle Handle { get; } = handle;

        public bool Writing { get; } = writing;

        public string Path { get; } = path;

        public long Position { get; set; }

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
