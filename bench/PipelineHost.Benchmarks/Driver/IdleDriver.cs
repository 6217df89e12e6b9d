using System.Net.WebSockets;
using System.Runtime.InteropServices;

namespace PipelineHost.Benchmarks.Driver;

/// <summary>
/// `--driver idle`: opens `connections` WebSockets (authenticated and subscribed to every task's SUMMARY when a
/// key is given), prints `HELD n` and keeps them open, reading with empty buffers so the client costs little
/// and still answers the server's pings, until stdin says `release` (or ends).
/// </summary>
public static partial class IdleDriver
{
    private const int RlimitNofile = 7; // RLIMIT_NOFILE in Linux's <sys/resource.h>

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        var url = new Uri(options["url"]);
        options.TryGetValue("key", out var key);
        var count = int.Parse(options["connections"]);
        EnsureFileLimit(count + 256);
        var sockets = await LoadDriver.ConnectManyAsync(url, key, subscribe: key is not null, count);
        var readers = sockets.Select(socket => Task.Run(async () =>
        {
            var buffer = new byte[1024];
            try
            {
                while (await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None) is { MessageType: not WebSocketMessageType.Close })
                {
                    if (await LoadDriver.ReadMessageAsync(socket, buffer) < 0)
                        return;
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        })).ToArray();

        Console.WriteLine($"HELD {sockets.Length}");
        while (Console.ReadLine() is { } line && line != "release")
        {
        }

        foreach (var socket in sockets)
            socket.Abort();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine("RESULT {}");
        return 0;
    }

    /// <summary>Raises this process's soft open-file limit to <paramref name="needed"/> when the hard limit allows.</summary>
    public static void EnsureFileLimit(int needed)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var limit = default(RLimit);
        if (GetRLimit(RlimitNofile, ref limit) != 0 || limit.Current >= (ulong)needed)
            return;
        limit.Current = Math.Min((ulong)needed, limit.Maximum);
        _ = SetRLimit(RlimitNofile, ref limit);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, ref RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetRLimit(int resource, ref RLimit limit);
}
