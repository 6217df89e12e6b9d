using System.Runtime.InteropServices;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// Reads per-process GPU memory from NVIDIA's NVML (libnvidia-ml.so.1, nvml.dll on Windows), loaded lazily on
/// first use with <see cref="NativeLibrary.TryLoad(string, out nint)"/>. Without the library, a driver or a GPU,
/// and on any NVML error, it is silent: <see cref="IsAvailable"/> is false and samples are 0. Nothing is logged.
/// </summary>
/// <remarks>
/// <para>
/// Calls nvmlInit_v2, nvmlDeviceGetCount_v2 and nvmlDeviceGetHandleByIndex_v2 once, then per sample
/// nvmlDeviceGetComputeRunningProcesses_v3 (falling back to _v2, then the unversioned v1) on every device and sums
/// usedGpuMemory over the entries whose pid is in the set.
/// </para>
/// <para>
/// The entry struct of the _v3 function changed size between drivers without a version bump (24 bytes as
/// nvmlProcessInfo_v2_t; 32 bytes with usedGpuCcProtectedMemory in R535-era drivers; some report 16). All
/// layouts start with <c>{ uint pid; ulong usedGpuMemory; }</c> at offsets 0 and 8, so the stride is detected per
/// call: the buffer is filled with a sentinel byte first, and the stride is the largest candidate whose last
/// entry's final four bytes were written.
/// </para>
/// <para>
/// NVML reports host pids: in a container without the host's pid namespace they will not match the tree's pids,
/// and the sample is 0.
/// </para>
/// </remarks>
public sealed unsafe class NvmlGpuMemoryProbe : IGpuMemoryProbe, IDisposable
{
    private const int NvmlSuccess = 0;
    private const int NvmlErrorInsufficientSize = 7;
    private const ulong NvmlValueNotAvailable = ulong.MaxValue;
    private const int MaxStride = 32;
    private const int InitialCapacity = 64;
    internal const byte Sentinel = 0xA5;

    private readonly Lock _gate = new();
    private readonly string _libraryName;
    private LoadState _state;
    private nint _library;
    private delegate* unmanaged<int> _shutdown;
    private delegate* unmanaged<nint, uint*, byte*, int> _getComputeProcesses;
    private nint[] _devices = [];
    private int _capacity = InitialCapacity;
    private byte[] _buffer = new byte[(InitialCapacity + 1) * MaxStride];

    /// <summary>A probe over the platform's NVML library.</summary>
    public NvmlGpuMemoryProbe()
        : this(DefaultLibraryName)
    {
    }

    /// <summary>A probe over the NVML library of the given name or path.</summary>
    public NvmlGpuMemoryProbe(string libraryName)
    {
        ArgumentException.ThrowIfNullOrEmpty(libraryName);
        _libraryName = libraryName;
    }

    private enum LoadState
    {
        NotLoaded,
        Available,
        Unavailable,
        Disposed,
    }

    /// <summary>libnvidia-ml.so.1, or nvml.dll on Windows.</summary>
    public static string DefaultLibraryName => OperatingSystem.IsWindows() ? "nvml.dll" : "libnvidia-ml.so.1";

    /// <summary>True when NVML loaded, initialised and found at least one GPU. Loads NVML on first use.</summary>
    public bool IsAvailable
    {
        get
        {
            lock (_gate)
                return EnsureLoaded();
        }
    }

    /// <summary>The number of GPUs found (0 when unavailable). Loads NVML on first use.</summary>
    public int DeviceCount
    {
        get
        {
            lock (_gate)
                return EnsureLoaded() ? _devices.Length : 0;
        }
    }

    /// <inheritdoc />
    public double SampleMegabytes(IReadOnlyCollection<int> pids)
    {
        ArgumentNullException.ThrowIfNull(pids);
        if (pids.Count == 0)
            return 0;
        lock (_gate)
        {
            if (!EnsureLoaded())
                return 0;
            ulong bytes = 0;
            foreach (var device in _devices)
                bytes += DeviceBytes(device, pids);
            return bytes / UsageCalculator.BytesPerMegabyte;
        }
    }

    /// <summary>Shuts NVML down and unloads it; the probe is unavailable afterwards.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_state == LoadState.Available)
            {
                _shutdown();
                NativeLibrary.Free(_library);
            }
            _library = 0;
            _state = LoadState.Disposed;
        }
    }

    /// <summary>
    /// The entry size the driver wrote: the largest of 32, 24 and 16 whose last entry's final four bytes are no
    /// longer all <see cref="Sentinel"/>. 24 when nothing fits.
    /// </summary>
    internal static int DetectStride(ReadOnlySpan<byte> buffer, int count)
    {
        if (count <= 0)
            return 24;
        ReadOnlySpan<int> candidates = [32, 24, 16];
        foreach (var stride in candidates)
        {
            var end = count * stride;
            if (end > buffer.Length)
                continue;
            if (buffer.Slice(end - 4, 4).ContainsAnyExcept(Sentinel))
                return stride;
        }
        return 24;
    }

    /// <summary>Sums usedGpuMemory (bytes) over the entries whose pid is in <paramref name="pids"/>.</summary>
    internal static ulong SumBytes(ReadOnlySpan<byte> buffer, int count, int stride, IReadOnlyCollection<int> pids)
    {
        ulong total = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = buffer.Slice(i * stride, 16);
            var pid = MemoryMarshal.Read<uint>(entry);
            var used = MemoryMarshal.Read<ulong>(entry[8..]);
            if (used != NvmlValueNotAvailable && pid <= int.MaxValue && Contains(pids, (int)pid))
                total += used;
        }
        return total;
    }

    private ulong DeviceBytes(nint device, IReadOnlyCollection<int> pids)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var count = (uint)_capacity;
            _buffer.AsSpan().Fill(Sentinel);
            int result;
            fixed (byte* entries = _buffer)
                result = _getComputeProcesses(device, &count, entries);

            if (result == NvmlErrorInsufficientSize)
            {
                _capacity = Math.Max(_capacity * 2, (int)Math.Min(count, 1u << 16) + 8);
                _buffer = new byte[(_capacity + 1) * MaxStride];
                continue;
            }
            if (result != NvmlSuccess || count == 0)
                return 0;
            var written = (int)Math.Min(count, (uint)_capacity);
            return SumBytes(_buffer, written, DetectStride(_buffer, written), pids);
        }
        return 0;
    }

    private bool EnsureLoaded()
    {
        if (_state != LoadState.NotLoaded)
            return _state == LoadState.Available;
        _state = LoadState.Unavailable;
        if (!NativeLibrary.TryLoad(_libraryName, out var library))
            return false;

        if (!NativeLibrary.TryGetExport(library, "nvmlInit_v2", out var init) ||
            !NativeLibrary.TryGetExport(library, "nvmlShutdown", out var shutdown) ||
            !NativeLibrary.TryGetExport(library, "nvmlDeviceGetCount_v2", out var getCount) ||
            !NativeLibrary.TryGetExport(library, "nvmlDeviceGetHandleByIndex_v2", out var getHandle) ||
            !(NativeLibrary.TryGetExport(library, "nvmlDeviceGetComputeRunningProcesses_v3", out var getProcesses) ||
              NativeLibrary.TryGetExport(library, "nvmlDeviceGetComputeRunningProcesses_v2", out getProcesses) ||
              NativeLibrary.TryGetExport(library, "nvmlDeviceGetComputeRunningProcesses", out getProcesses)))
        {
            NativeLibrary.Free(library);
            return false;
        }

        if (((delegate* unmanaged<int>)init)() != NvmlSuccess)
        {
            NativeLibrary.Free(library);
            return false;
        }

        var devices = new List<nint>();
        uint deviceCount = 0;
        if (((delegate* unmanaged<uint*, int>)getCount)(&deviceCount) == NvmlSuccess)
        {
            for (uint i = 0; i < deviceCount; i++)
            {
                nint handle = 0;
                if (((delegate* unmanaged<uint, nint*, int>)getHandle)(i, &handle) == NvmlSuccess && handle != 0)
                    devices.Add(handle);
            }
        }
        if (devices.Count == 0)
        {
            ((delegate* unmanaged<int>)shutdown)();
            NativeLibrary.Free(library);
            return false;
        }

        _library = library;
        _shutdown = (delegate* unmanaged<int>)shutdown;
        _getComputeProcesses = (delegate* unmanaged<nint, uint*, byte*, int>)getProcesses;
        _devices = [.. devices];
        _state = LoadState.Available;
        return true;
    }

    private static bool Contains(IReadOnlyCollection<int> pids, int pid)
    {
        if (pids is ICollection<int> collection)
            return collection.Contains(pid); // List, array, HashSet: no enumerator allocated
        foreach (var candidate in pids)
        {
            if (candidate == pid)
                return true;
        }
        return false;
    }
}
