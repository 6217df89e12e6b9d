using System.Buffers.Text;
using System.Globalization;

namespace PipelineHost.Benchmarks.Baselines;

/// <summary>The sampling baseline: one read each of /proc/&lt;pid&gt;/stat and /proc/&lt;pid&gt;/statm, parsed in place.</summary>
public static class DirectProcStat
{
    public static (ulong CpuTicks, long ResidentPages) Read(int pid)
    {
        Span<byte> buffer = stackalloc byte[1024];
        var stat = buffer[..ReadOnce(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"), buffer)];
        // After the last ')' (the command may hold spaces): field 3 is state; utime and stime are fields 14 and 15.
        var rest = stat[(stat.LastIndexOf((byte)')') + 2)..];
        ulong utime = 0, stime = 0;
        for (var field = 3; field <= 15; field++)
        {
            var end = rest.IndexOf((byte)' ');
            if (field == 14)
                Utf8Parser.TryParse(rest[..end], out utime, out _);
            else if (field == 15)
                Utf8Parser.TryParse(rest[..end], out stime, out _);
            rest = rest[(end + 1)..];
        }

        var statm = buffer[..ReadOnce(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/statm"), buffer)];
        var second = statm[(statm.IndexOf((byte)' ') + 1)..];
        Utf8Parser.TryParse(second[..second.IndexOf((byte)' ')], out long pages, out _);
        return (utime + stime, pages);
    }

    private static int ReadOnce(string path, Span<byte> buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return RandomAccess.Read(handle, buffer, 0);
    }
}
