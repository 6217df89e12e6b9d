namespace PipelineHost.Reliability.Tests;

/// <summary>This process's live children (Linux <c>/proc</c>), to find worker processes and to prove none leaked.</summary>
public static class ChildProcesses
{
    /// <summary>Ids of the live (not zombie) children of <paramref name="parent"/> (this process by default) running a PipelineHost worker.</summary>
    public static List<int> Workers(int? parent = null)
    {
        var ppid = parent ?? Environment.ProcessId;
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == ppid
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("PipelineHost.Worker", StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return result;
    }

    /// <summary>Sends <paramref name="signal"/> (<c>KILL</c>, <c>STOP</c>, <c>CONT</c>) to <paramref name="pid"/> with kill(1).</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
