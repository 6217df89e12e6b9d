using System.Buffers.Text;

namespace PipelineHost.Engine.Metrics;

/// <summary>Allocation-free parsers for the Linux /proc files the process tree probe reads.</summary>
internal static class ProcStatParser
{
    // Fields of /proc/<pid>/stat counted from the first field after the comm's closing ')': index 0 is field 3
    // (state), index 1 is field 4 (ppid), indexes 11 and 12 are fields 14 and 15 (utime and stime, clock ticks).
    private const int PpidIndex = 1;
    private const int UtimeIndex = 11;
    private const int StimeIndex = 12;

    /// <summary>
    /// Parses the parent pid and utime + stime (in clock ticks) from the content of /proc/&lt;pid&gt;/stat. The comm
    /// (field 2) is in parentheses and may itself hold spaces and ')' characters, so the fields are counted from
    /// the LAST ')'.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<byte> stat, out int ppid, out ulong cpuTicks)
    {
        ppid = 0;
        cpuTicks = 0;
        var close = stat.LastIndexOf((byte)')');
        if (close < 0)
            return false;
        var rest = stat[(close + 1)..];

        ulong utime = 0;
        var index = 0;
        while (TryNextField(ref rest, out var field))
        {
            switch (index)
            {
                case PpidIndex:
                    if (!Utf8Parser.TryParse(field, out ppid, out var n) || n != field.Length)
                        return false;
                    break;
                case UtimeIndex:
                    if (!Utf8Parser.TryParse(field, out utime, out n) || n != field.Length)
                        return false;
                    break;
                case StimeIndex:
                    if (!Utf8Parser.TryParse(field, out ulong stime, out n) || n != field.Length)
                        return false;
                    cpuTicks = utime + stime;
                    return true;
            }
            index++;
        }
        return false;
    }

    /// <summary>Parses field 2 (resident pages) of /proc/&lt;pid&gt;/statm.</summary>
    public static bool TryParseStatmResidentPages(ReadOnlySpan<byte> statm, out long residentPages)
    {
        residentPages = 0;
        if (!TryNextField(ref statm, out _) || !TryNextField(ref statm, out var resident))
            return false;
        return Utf8Parser.TryParse(resident, out residentPages, out var n) && n == resident.Length;
    }

    /// <summary>Adds the pids of a /proc/&lt;pid&gt;/task/&lt;tid&gt;/children file ("12 34 ") to a list.</summary>
    public static void ParsePidList(ReadOnlySpan<byte> text, List<int> into)
    {
        while (TryNextField(ref text, out var field))
        {
            if (Utf8Parser.TryParse(field, out int pid, out var n) && n == field.Length && pid > 0)
                into.Add(pid);
        }
    }

    /// <summary>True when a /proc entry name is a pid (all digits).</summary>
    public static bool IsPidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 10)
            return false;
        foreach (var c in name)
        {
            if (c is < '0' or > '9')
                return false;
        }
        return true;
    }

    /// <summary>Parses a /proc entry name known to be all digits.</summary>
    public static int ParsePidName(ReadOnlySpan<char> name)
    {
        long value = 0;
        foreach (var c in name)
            value = (value * 10) + (c - '0');
        return value <= int.MaxValue ? (int)value : -1;
    }

    private static bool TryNextField(ref ReadOnlySpan<byte> text, out ReadOnlySpan<byte> field)
    {
        var start = 0;
        while (start < text.Length && IsSeparator(text[start]))
            start++;
        if (start == text.Length)
        {
            field = default;
            text = default;
            return false;
        }
        var end = start;
        while (end < text.Length && !IsSeparator(text[end]))
            end++;
        field = text[start..end];
        text = text[end..];
        return true;
    }

    private static bool IsSeparator(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or 0;
}
