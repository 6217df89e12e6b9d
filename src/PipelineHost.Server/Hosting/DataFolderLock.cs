using System.Globalization;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// One server per data folder: an exclusive lock on <c>&lt;data&gt;/pipelinehost.lock</c>, held for the server's life.
/// Opened with <see cref="FileShare.None"/>, which .NET on Linux and macOS takes as an advisory <c>flock(LOCK_EX)</c>, so
/// the kernel drops it when the process dies, however it dies. The holder's process id is written beside it
/// (<c>pipelinehost.pid</c>): the lock file itself cannot be read by another process while it is held.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    /// <summary>The lock file's name in the data folder.</summary>
    public const string FileName = "pipelinehost.lock";

    /// <summary>The file naming the process that holds the lock.</summary>
    public const string PidFileName = "pipelinehost.pid";

    private readonly FileStream _lock;

    private DataFolderLock(FileStream held) => _lock = held;

    /// <summary>Takes the lock on <paramref name="dataDirectory"/> (an existing folder), or throws saying who holds it.</summary>
    /// <exception cref="StartupException">Another process holds the folder.</exception>
    public static DataFolderLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        FileStream held;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFiles.FileMode;
            }

            held = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            var holder = ReadHolder(dataDirectory);
            throw new StartupException(
                $"The data folder is in use by another PipelineHost server{(holder is null ? string.Empty : $" (process {holder})")}; stop it, or start this one with another --data-dir.");
        }

        PrivateFiles.Write(Path.Combine(dataDirectory, PidFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new DataFolderLock(held);
    }

    private static int? ReadHolder(string dataDirectory)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(dataDirectory, PidFileName)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the lock (the kernel also does when the process ends).</summary>
    public void Dispose() => _lock.Dispose();
}

/// <summary>The server cannot start, for a reason its operator can fix: printed as one line, exit code 1.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
