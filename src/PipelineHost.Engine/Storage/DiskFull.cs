using Microsoft.Data.Sqlite;

namespace PipelineHost.Engine.Storage;

/// <summary>The one rule for "the disk is full", whichever layer noticed: the file system or SQLite.</summary>
public static class DiskFull
{
    /// <summary>What a request that had to write answers when the disk is full.</summary>
    public const string Message = "No space left on the server's disk: nothing was saved. Try again once space is freed.";

    private const int Enospc = 28;            // Unix errno, as .NET reports it in HResult
    private const int WindowsDiskFull = 0x70; // ERROR_DISK_FULL
    private const int SqliteFull = 13;        // SQLITE_FULL

    /// <summary>True when <paramref name="exception"/> (or one it wraps) says the disk is full.</summary>
    public static bool Is(Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteFull:
                    return true;
                case IOException io when io.HResult == Enospc || (io.HResult & 0xFFFF) == WindowsDiskFull
                    || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase):
                    return true;
            }
        }

        return false;
    }
}
