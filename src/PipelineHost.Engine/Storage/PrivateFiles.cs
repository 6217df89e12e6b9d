using System.Runtime.InteropServices;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// The data folder is the server's alone: every folder in it 0700, every file 0600. The process's file mode creation
/// mask is set to 077 once at start (<see cref="RestrictNewFiles"/>), so SQLite's database and its -wal/-shm, the file
/// store, task folders and the files workers write (they inherit the mask) are all private, whoever creates them.
/// </summary>
public static partial class PrivateFiles
{
    /// <summary>Folder mode: owner only.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>File mode: owner read and write.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupAndOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Sets the process's creation mask to 077: files and folders created from now on are owner-only.</summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(0b000_111_111);
        }
    }

    /// <summary>Creates <paramref name="path"/> (and missing parents) owner-only.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, FolderMode);
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, created or truncated, readable by the owner only.</summary>
    public static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>
    /// How many entries of <paramref name="folder"/> (itself included, at most two levels down) other users may read,
    /// write or enter: the start-up warning's figure. Zero on Windows.
    /// </summary>
    public static int CountLoose(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder))
        {
            return 0;
        }

        var loose = IsLoose(folder) ? 1 : 0;
        try
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2, IgnoreInaccessible = true }))
            {
                if (entry.LinkTarget is null && (entry.UnixFileMode & GroupAndOthers) != 0)
                {
                    loose++;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return loose;
    }

    private static bool IsLoose(string path) => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupAndOthers) != 0;

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
