using PipelineHost.Engine.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// The start-up steps that make the data folder this server's: private modes for what it creates, the folder lock,
/// a free port; each failure is one line for the operator (<see cref="StartupException"/>), never a stack trace.
/// </summary>
internal static partial class DataFolder
{
    /// <summary>
    /// Restricts new files to their owner, creates the folder (0700) and takes its lock. Returns the lock and how many
    /// entries that were already there other users can read (for <see cref="WarnLoose"/>).
    /// </summary>
    public static (DataFolderLock Lock, int LooseEntries) Prepare(string dataDirectory)
    {
        PrivateFiles.RestrictNewFiles();
        if (File.Exists(dataDirectory))
        {
            throw new StartupException("The data folder (--data-dir) is a file, not a folder.");
        }

        try
        {
            var loose = PrivateFiles.CountLoose(dataDirectory);
            PrivateFiles.CreateDirectory(dataDirectory);
            return (DataFolderLock.Acquire(dataDirectory), loose);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException(NotWritable(ex), ex);
        }
    }

    /// <summary>The one line for a data folder the server cannot create or write.</summary>
    public static string NotWritable(Exception ex) =>
        $"The data folder (--data-dir) cannot be created or written: {(ex is UnauthorizedAccessException ? "permission denied" : "an I/O error")}.";

    /// <summary>Binds the listening address once and lets go, so a port in use stops the start before any recovery runs.</summary>
    public static void CheckPortFree(ServerOptions options)
    {
        if (options.Port == 0 || !IPAddress.TryParse(options.Host, out var address))
        {
            return; // an OS-chosen port is always free; a host name is bound by Kestrel, which reports its own failure
        }

        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, options.Port));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new StartupException($"Port {options.Port} on {options.Host} is already in use; stop the program using it or choose another --port.");
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AccessDenied or SocketError.AddressNotAvailable)
        {
            throw new StartupException($"Cannot listen on {options.Host} port {options.Port}: {(ex.SocketErrorCode == SocketError.AccessDenied ? "permission denied" : "no such address on this machine")}.");
        }
    }

    /// <summary>Warns that files other users may read are in the data folder (created by an older server, or by hand).</summary>
    public static void WarnLoose(ILoggerFactory loggers, int count) =>
        Log.LooseModes(loggers.CreateLogger("PipelineHost.Server.DataFolder"), count);

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.DataFolderLooseModes, LogLevel.Warning, "The data folder (--data-dir) has {Count} entries other users may read or enter: run 'chmod -R go-rwx' on it. New files are created owner-only.")]
        public static partial void LooseModes(ILogger logger, int count);
    }
}
