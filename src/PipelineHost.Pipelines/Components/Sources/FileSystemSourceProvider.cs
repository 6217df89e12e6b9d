using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sources;

/// <summary>
/// A batch source that reads the files of one folder. The folder, and every file read, must really be inside one
/// of <see cref="ComponentEnvironment.AllowedRoots"/> once <c>..</c> and symbolic links are resolved.
/// </summary>
public sealed class FileSystemSourceProvider : IComponentProvider
{
    private const string Name = "filesys";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Folder",
        Description: "Reads the files of a folder inside the server's allowed roots, in path order, and emits each file's bytes on 'tags' and, for text types, its text on 'text'.",
        ClassTypes: ["source"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.SourceInput] = [LaneNames.Tags, LaneNames.Text] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["path"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "The folder to read; relative paths are taken from the first allowed root." },
                ["include"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                    ["default"] = new JsonArray("**/*"),
                    ["description"] = "Globs (*, ?, **, {a,b}) a file's path relative to the folder must match one of.",
                },
                ["exclude"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                    ["default"] = new JsonArray(),
                    ["description"] = "Globs that drop a file that matches any of them.",
                },
                ["recursive"] = new JsonObject { ["type"] = "boolean", ["default"] = true, ["description"] = "Whether to read subfolders." },
                ["maxFileSize"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["description"] = "Files larger than this many bytes are skipped." },
            },
            ["required"] = new JsonArray("path"),
            ["additionalProperties"] = false,
        })
    {
        Source = SourceKind.Batch,
        Example = JsonNode.Parse("""{"id":"files_1","provider":"filesys","config":{"path":"/data/inbox","include":["**/*.{txt,md}"],"exclude":["drafts/**"],"recursive":true}}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        var path = ConfigValues.GetRequiredString(config, Name, "path");
        var include = Globs(ConfigValues.GetStrings(config, Name, "include", ["**/*"]), "include");
        var exclude = Globs(ConfigValues.GetStrings(config, Name, "exclude", []), "exclude");
        var recursive = ConfigValues.GetBoolean(config, Name, "recursive", true);
        var maxFileSize = ConfigValues.GetOptionalInt64(config, Name, "maxFileSize", min: 0);

        var roots = environment.AllowedRoots.Select(r => TrimSeparators(ResolveRealPath(Path.GetFullPath(r)))).ToList();
        var lexical = Path.IsPathFullyQualified(path) || environment.AllowedRoots.Count == 0
            ? Path.GetFullPath(path)
            : Path.GetFullPath(path, Path.GetFullPath(environment.AllowedRoots[0]));
        var folder = ResolveRealPath(lexical);
        if (!IsInside(folder, roots))
        {
            throw new ComponentConfigException($"Folder '{path}' is outside the roots this server allows.");
        }

        if (!Directory.Exists(folder))
        {
            throw new ComponentConfigException($"Folder '{path}' does not exist or is not a folder.");
        }

        var files = Enumerate(folder, roots, recursive)
            .Where(f => include.Any(g => g.IsMatch(f.Name)) && !exclude.Any(g => g.IsMatch(f.Name)))
            .Where(f => maxFileSize is null || f.Size <= maxFileSize)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return new FileSystemSource(files, roots);
    }

    /// <summary>
    /// The path with every symbolic link in it resolved, like realpath(3), for a full path. Components that do
    /// not exist are kept as they are.
    /// </summary>
    internal static string ResolveRealPath(string fullPath) => ResolveRealPath(fullPath, 0);

    private static string ResolveRealPath(string fullPath, int depth)
    {
        if (depth > 40)
        {
            throw new IOException($"Too many levels of symbolic links resolving '{fullPath}'.");
        }

        var root = Path.GetPathRoot(fullPath) ?? string.Empty;
        var current = root;
        var parts = fullPath[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        foreach (var part in parts)
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                // A relative target is relative to the link's (already real) folder.
                next = ResolveRealPath(Path.GetFullPath(target, current), depth + 1);
            }

            current = next;
        }

        return current;
    }

    private static bool IsInside(string realPath, IReadOnlyList<string> roots) =>
        roots.Any(root => string.Equals(TrimSeparators(realPath), root, StringComparison.Ordinal) ||
                          realPath.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private static string TrimSeparators(string path)
    {
        var root = Path.GetPathRoot(path) ?? string.Empty;
        var trimmed = path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return trimmed.Length < root.Length ? root : trimmed;
    }

    private static List<GlobPattern> Globs(IReadOnlyList<string> patterns, string field)
    {
        try
        {
            return patterns.Select(GlobPattern.Parse).ToList();
        }
        catch (ArgumentException ex)
        {
            throw new ComponentConfigException($"{Name}: config.{field}: {ex.Message}");
        }
    }

    /// <summary>
    /// Every regular file below <paramref name="folder"/>, with its name relative to it. Links are followed only
    /// when their real path stays inside the roots, and each real folder is visited once (no link loops).
    /// </summary>
    private static IEnumerable<FileEntry> Enumerate(string folder, IReadOnlyList<string> roots, bool recursive)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        var visited = new HashSet<string>(StringComparer.Ordinal) { folder };
        var pending = new Stack<(string Real, string Relative)>();
        pending.Push((folder, string.Empty));
        while (pending.Count > 0)
        {
            var (directory, relative) = pending.Pop();
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
            {
                var name = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                var real = entry.LinkTarget is null ? entry.FullName : ResolveRealPath(entry.FullName);
                if (!IsInside(real, roots))
                {
                    continue;
                }

                if (Directory.Exists(real))
                {
                    if (recursive && visited.Add(real))
                    {
                        pending.Push((real, name));
                    }
                }
                else if (File.Exists(real))
                {
                    yield return new FileEntry(name, real, new FileInfo(real).Length);
                }
            }
        }
    }

    private sealed record FileEntry(string Name, string RealPath, long Size);

    private sealed class FileSystemSource(IReadOnlyList<FileEntry> files, IReadOnlyList<string> roots) : IBatchSource
    {
        public long? KnownTotal => files.Count;

        public IObjectProcessor Begin(ObjectContext context) => new SourceProcessor(context);

        public async IAsyncEnumerable<SourceObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var info = new FileInfo(file.RealPath);
                yield return new SourceObject(file.Name, MimeTypes.FromFileName(file.Name), info.Exists ? info.Length : file.Size, _ => OpenAsync(file))
                {
                    Metadata = new JsonObject
                    {
                        ["path"] = file.Name,
                        ["size"] = info.Exists ? info.Length : file.Size,
                        ["modified"] = info.Exists ? info.LastWriteTimeUtc.ToString("O", CultureInfo.InvariantCulture) : null,
                    },
                };
                await Task.Yield();
            }
        }

        private ValueTask<Stream> OpenAsync(FileEntry file)
        {
            // The file was inside the roots when listed; make sure a link swapped in since does not lead out.
            var real = ResolveRealPath(file.RealPath);
            if (!IsInside(real, roots))
            {
                throw new UnauthorizedAccessException($"File '{file.Name}' is outside the roots this server allows.");
            }

            return ValueTask.FromResult<Stream>(new FileStream(real, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            }));
        }
    }
}
