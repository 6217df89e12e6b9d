using System.Diagnostics;
using System.Runtime.InteropServices;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class GpuProbeTests
{
    [Fact]
    public void NoGpu_probe_is_unavailable_and_reads_zero()
    {
        Assert.False(NoGpuProbe.Instance.IsAvailable);
        Assert.Equal(0, NoGpuProbe.Instance.SampleMegabytes([Environment.ProcessId]));
    }

    [Fact]
    public void Nvml_without_the_library_is_unavailable_and_reads_zero()
    {
        using var probe = new NvmlGpuMemoryProbe("libdoes-not-exist-nvml.so.1");

        Assert.Equal(0, probe.SampleMegabytes([Environment.ProcessId]));
        Assert.False(probe.IsAvailable);
        Assert.Equal(0, probe.DeviceCount);
    }

    [Fact]
    public void Nvml_on_this_machine_matches_whether_the_driver_library_loads()
    {
        var driverPresent = NativeLibrary.TryLoad(NvmlGpuMemoryProbe.DefaultLibraryName, out var handle);
        if (driverPresent)
            NativeLibrary.Free(handle);
        using var probe = new NvmlGpuMemoryProbe();

        var megabytes = probe.SampleMegabytes([Environment.ProcessId]);

        if (!driverPresent)
        {
            Assert.False(probe.IsAvailable);
            Assert.Equal(0, megabytes);
            Assert.IsType<NoGpuProbe>(GpuMemoryProbe.CreateDefault());
        }
        else
        {
            Assert.True(megabytes >= 0);
        }
    }

    [Fact]
    public void Nvml_with_a_library_lacking_the_functions_is_unavailable()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var probe = new NvmlGpuMemoryProbe("libc.so.6");

        Assert.False(probe.IsAvailable);
        Assert.Equal(0, probe.SampleMegabytes([1]));
    }

    [Fact]
    public void Nvml_empty_pid_set_reads_zero()
    {
        using var probe = new NvmlGpuMemoryProbe("libdoes-not-exist-nvml.so.1");

        Assert.Equal(0, probe.SampleMegabytes([]));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void Stride_is_detected_from_the_bytes_the_driver_wrote(int stride)
    {
        var buffer = new byte[10 * 32];
        buffer.AsSpan().Fill(NvmlGpuMemoryProbe.Sentinel);
        for (var i = 0; i < 3; i++)
            WriteEntry(buffer.AsSpan(i * stride), stride, pid: (uint)(10 + i), used: (ulong)(i + 1) << 20);

        Assert.Equal(stride, NvmlGpuMemoryProbe.DetectStride(buffer, 3));
        Assert.Equal(4UL << 20, NvmlGpuMemoryProbe.SumBytes(buffer, 3, stride, new List<int> { 10, 12, 99 }));
        Assert.Equal(2UL << 20, NvmlGpuMemoryProbe.SumBytes(buffer, 3, stride, new HashSet<int> { 11 }));
    }

    [Fact]
    public void Not_available_memory_is_not_summed()
    {
        var buffer = new byte[64];
        WriteEntry(buffer, 24, pid: 7, used: ulong.MaxValue);

        Assert.Equal(0UL, NvmlGpuMemoryProbe.SumBytes(buffer, 1, 24, [7]));
    }

    /// <summary>
    /// Exercises the real interop (function pointers, buffer growth, stride detection, two devices) against a fake
    /// libnvidia-ml built from Assets/fake_nvml.c with the system C compiler. Does nothing where there is none.
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void Nvml_interop_against_a_fake_driver_library(int stride)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/cc"))
            return;
        var directory = Directory.CreateTempSubdirectory("fake-nvml-");
        try
        {
            var library = Path.Combine(directory.FullName, "libfake-nvml.so");
            var source = Path.Combine(AppContext.BaseDirectory, "Metrics", "Assets", "fake_nvml.c");
            var cc = Process.Start(new ProcessStartInfo("/usr/bin/cc")
            {
                ArgumentList =
                {
                    "-shared", "-fPIC", "-O1", "-o", library, source,
                    $"-DENTRY_STRIDE={stride}", "-DPROCESS_COUNT=100", "-DPID_A=4242", "-DPID_B=4343",
                },
                RedirectStandardError = true,
            })!;
            var errors = cc.StandardError.ReadToEnd();
            Assert.True(cc.WaitForExit(TimeSpan.FromSeconds(60)), "cc hang guard");
            Assert.True(cc.ExitCode == 0, errors);

            using var probe = new NvmlGpuMemoryProbe(library);

            Assert.True(probe.IsAvailable);
            Assert.Equal(2, probe.DeviceCount);
            Assert.Equal(150, probe.SampleMegabytes(new List<int> { 4242, 4343 }));
            Assert.Equal(100, probe.SampleMegabytes([4242]));
            Assert.Equal(0, probe.SampleMegabytes([1]));

            probe.Dispose();
            Assert.False(probe.IsAvailable);
            Assert.Equal(0, probe.SampleMegabytes([4242]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void WriteEntry(Span<byte> entry, int stride, uint pid, ulong used)
    {
        MemoryMarshal.Write(entry, in pid);
        MemoryMarshal.Write(entry[8..], in used);
        if (stride >= 24)
        {
            var none = uint.MaxValue;
            MemoryMarshal.Write(entry[16..], in none);
            MemoryMarshal.Write(entry[20..], in none);
        }
        if (stride >= 32)
        {
            var zero = 0UL;
            MemoryMarshal.Write(entry[24..], in zero);
        }
    }
}
