namespace PipelineHost.Engine.Storage;

/// <summary>A refused or failed file-store operation; the message is safe to show the client (no host paths).</summary>
public sealed class FileStoreException(string message) : Exception(message);

/// <summary>A file or folder in the store.</summary>
/// <param name="Name">Its name (the last path segment).</param>
/// <param name="IsDirectory">True for a folder.</param>
/// <param name="Size">Bytes, for files.</param>
/// <param name="Modified">Last write, unix seconds.</param>
public sealed record FileStoreEntry(string Name, bool IsDirectory, long? Size, double Modified);

/// <summary>
/// The per-user file store of <c>rrext_store</c>: every user has a private folder
/// <c>&lt;root&gt;/&lt;userId&gt;/</c> and addresses files in it by relative paths (<c>/</c> or <c>\</c> separated).
/// Absolute paths, <c>..</c> segments and NUL characters are refused, and so is any path whose real location
/// (symbolic links resolved) lies outside the user's folder. Missing parent folders of a written or renamed
/// file are created.
/// </summary>
public sealed class FileStore
{
    private const int MaxLinkDepth = 40;

    /// <summary>A store under <paramref name="rootDirectory"/> (<c>&lt;data-dir&gt;/store</c>).</summary>
    public FileStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        RootDirectory = Path.GetFullPath(rootDirectory);
    }

    /// <summary>The folder holding every user's folder.</summary>
    public string RootDirectory { get; }

    /// <summary>The folder of <paramref name="userId"/>, created when missing.</summary>
    public string UserRoot(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var root = Path.Combine(RootDirectory, FolderName(userId));
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>
    /// A folder name for <paramref name="userId"/>, one-to-one: ASCII letters, digits and <c>-</c> stay, every other
    /// UTF-8 byte becomes <c>_</c> and two hex digits (so no user id can be <c>..</c> or contain a separator, and two
    /// ids never share a folder). The empty id is <c>_</c>.
    /// </summary>
    public static string FolderName(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (userId.Length == 0)
        {
            return "_";
        }

        var name = new System.Text.StringBuilder();
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(userId))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b == '-')
            {
                name.Append((char)b);
            }
            else
            {
                name.Append('_').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return name.ToString();
    }

    /// <summary>
    /// The full path of <paramref name="path"/> in <paramref name="userId"/>'s folder, after every check.
    /// <paramref name="allowRoot"/> lets an empty path (or <c>.</c>) name the folder itself.
    /// </summary>
    /// <exception cref="FileStoreException">The path is refused.</exception>
    public string Resolve(string userId, string? path, bool allowRoot = false)
    {
        if (path is null)
        {
            throw new FileStoreException("Argument 'path' is required.");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new FileStoreException("The path must not contain NUL characters.");
        }

        var unified = path.Replace('\\', '/');
        if (unified.StartsWith('/') || Path.IsPathRooted(path) || (unified.Length >= 2 && unified[1] == ':' && char.IsAsciiLetter(unified[0])))
        {
            throw new FileStoreException($"Path '{path}' must be relative to the store root, not absolute.");
        }

        var segments = unified.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Any(s => s == ".."))
        {
            throw new FileStoreException($"Path '{path}' must not contain '..'.");
        }

        if (segments.Length == 0 && !allowRoot)
        {
            throw new FileStoreException($"Path '{path}' names the store root; name a file or folder in it.");
        }

        var root = UserRoot(userId);
        var full = segments.Length == 0 ? root : Path.Combine([root, .. segments]);
        if (!IsInside(RealPath(root), RealPath(full)))
        {
            throw new FileStoreException($"Path '{path}' leads outside the store (through a symbolic link).");
        }

        return full;
    }

    /// <summary>What is at <paramref name="path"/>; null when nothing is.</summary>
    public FileStoreEntry? Stat(string userId, string path)
    {
        var full = Resolve(userId, path, allowRoot: true);
        return Describe(full, Path.GetFileName(full));
    }

    /// <summary>The entries of the folder <paramref name="path"/> (empty: the user's folder), sorted by name.</summary>
    public IReadOnlyList<FileStoreEntry> ListDirectory(string userId, string? path)
    {
        var full = Resolve(userId, path ?? string.Empty, allowRoot: true);
        if (!Directory.Exists(full))
        {
            throw new FileStoreException(File.Exists(full) ? $"'{path}' is a file, not a folder." : $"Folder '{path}' does not exist.");
        }

        var root = RealPath(UserRoot(userId));
        var entries = new List<FileStoreEntry>();
        foreach (var info in Guard(() => new DirectoryInfo(full).EnumerateFileSystemInfos().ToList(), path))
        {
            // A link out of the store is not part of it: not listed.
            if (info.LinkTarget is not null && !IsInside(root, RealPath(info.FullName)))
            {
                continue;
            }

            if (Describe(info.FullName, info.Name) is { } entry)
            {
                entries.Add(entry);
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    /// <summary>Creates the folder <paramref name="path"/> and its parents; an existing folder is fine.</summary>
    public void CreateDirectory(string userId, string path)
    {
        var full = Resolve(userId, path);
        if (File.Exists(full))
        {
            throw new FileStoreException($"'{path}' exists and is a file.");
        }

        Guard(() => Directory.CreateDirectory(full), path);
    }

    /// <summary>Removes the folder <paramref name="path"/>; with <paramref name="recursive"/>, with its contents.</summary>
    public void RemoveDirectory(string userId, string path, bool recursive)
    {
        var full = Resolve(userId, path);
        if (!Directory.Exists(full))
        {
            throw new FileStoreException(File.Exists(full) ? $"'{path}' is a file; use fs_delete." : $"Folder '{path}' does not exist.");
        }

        if (!recursive && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new FileStoreException($"Folder '{path}' is not empty; pass recursive: true to remove it with its contents.");
        }

        Guard(
            () =>
            {
                if (new DirectoryInfo(full).LinkTarget is not null)
                {
                    // A link to a folder: remove the link, never what it points at.
                    File.Delete(full);
                }
                else
                {
                    Directory.Delete(full, recursive);
                }
            },
            path);
    }

    /// <summary>Deletes the file <paramref name="path"/>.</summary>
    public void Delete(string userId, string path)
    {
        var full = Resolve(userId, path);
        if (Directory.Exists(full))
        {
            throw new FileStoreException($"'{path}' is a folder; use fs_rmdir.");
        }

        if (!File.Exists(full))
        {
            throw new FileStoreException($"File '{path}' does not exist.");
        }

        Guard(() => File.Delete(full), path);
    }

    /// <summary>
    /// Moves <paramref name="oldPath"/> to <paramref name="newPath"/>. A file replaces an existing file (as POSIX
    /// rename does, so write-then-rename saves atomically); a folder never replaces anything.
    /// </summary>
    public void Rename(string userId, string oldPath, string newPath)
    {
        var from = Resolve(userId, oldPath);
        var to = Resolve(userId, newPath);
        if (Directory.Exists(from))
        {
            if (File.Exists(to) || Directory.Exists(to))
            {
                throw new FileStoreException($"'{newPath}' already exists.");
            }

            var fromWithSlash = Path.TrimEndingDirectorySeparator(from) + Path.DirectorySeparatorChar;
            if (to.StartsWith(fromWithSlash, StringComparison.Ordinal))
            {
                throw new FileStoreException($"Cannot move folder '{oldPath}' into itself.");
            }

            Guard(
                () =>
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    Directory.Move(from, to);
                },
                oldPath);
            return;
        }

        if (!File.Exists(from))
        {
            throw new FileStoreException($"'{oldPath}' does not exist.");
        }

        if (Directory.Exists(to))
        {
            throw new FileStoreException($"'{newPath}' is a folder.");
        }

        Guard(
            () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Move(from, to, overwrite: true);
            },
            oldPath);
    }

    /// <summary>Runs a file-system call, turning its failures into messages without host paths.</summary>
    internal static T Guard<T>(Func<T> action, string? path)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FileStoreException(ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => $"'{path}' does not exist.",
                UnauthorizedAccessException => $"Access to '{path}' is denied.",
                _ => $"'{path}': the operation failed ({ex.GetType().Name}).",
            });
        }
    }

    internal static void Guard(Action action, string? path) => Guard(
        () =>
        {
            action();
            return 0;
        },
        path);

    /// <summary>True when <paramref name="candidate"/> is <paramref name="root"/> or inside it.</summary>
    internal static bool IsInside(string root, string candidate)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(root);
        return string.Equals(candidate, trimmed, StringComparison.Ordinal)
            || candidate.StartsWith(trimmed + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The path with every symbolic link resolved (as <c>realpath</c>), component by component; the part that does
    /// not exist yet is appended as it is.
    /// </summary>
    internal static string RealPath(string path, int depth = 0)
    {
        if (depth > MaxLinkDepth)
        {
            throw new FileStoreException("Too many levels of symbolic links.");
        }

        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                current = RealPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target), depth + 1);
            }
            else if (info.Exists || Directory.Exists(next))
            {
                current = next;
            }
            else
            {
                return Path.Combine([current, .. parts[i..]]);
            }
        }

        return current;
    }

    private static FileStoreEntry? Describe(string full, string name)
    {
        if (Directory.Exists(full))
        {
            return new FileStoreEntry(name, true, null, UnixSeconds(Directory.GetLastWriteTimeUtc(full)));
        }

        var file = new FileInfo(full);
        if (file.LinkTarget is not null)
        {
            // Follow a link inside the store to what it names (Resolve already checked where it leads).
            file = file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file;
        }

        return file.Exists ? new FileStoreEntry(name, false, file.Length, UnixSeconds(file.LastWriteTimeUtc)) : null;
    }

    internal static double UnixSeconds(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0;
}
