namespace PipelineHost.Cli;

/// <summary>The files behind <c>--input</c> / <c>send</c> arguments: files as given, folders recursively, in a stable order.</summary>
internal static class InputFiles
{
    /// <exception cref="CliException">A path that is neither a file nor a folder (a usage error).</exception>
    public static IReadOnlyList<FileInfo> Expand(IEnumerable<string> paths, string workingDirectory)
    {
        var files = new List<FileInfo>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, workingDirectory);
            if (File.Exists(full))
            {
                files.Add(new FileInfo(full));
            }
            else if (Directory.Exists(full))
            {
                files.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal)
                    .Select(f => new FileInfo(f)));
            }
            else
            {
                throw new CliException($"no such file or folder: {path}", ExitCodes.Usage);
            }
        }

        return files;
    }
}
