/* A stand-in for libnvidia-ml.so.1, built by GpuProbeTests with the system C compiler, to exercise the NVML
   interop without a GPU. Two devices; ENTRY_STRIDE picks the entry layout the driver writes (16, 24 or 32 bytes).
   Device 0: PID_A uses 100 MiB. Device 1: PID_B uses 50 MiB, PID_A's figure is not available. Every device also
   lists PROCESS_COUNT - 2 foreign processes of 1 GiB each, more than the probe's first buffer holds. */
#include <string.h>

#define MIB (1024ULL * 1024ULL)
#define NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL

static int initialized;

int nvmlInit_v2(void) { initialized = 1; return 0; }
int nvmlShutdown(void) { initialized = 0; return 0; }
int nvmlDeviceGetCount_v2(unsigned int *count) { *count = 2; return 0; }

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **device)
{
    if (index >= 2) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *device = (void *)(unsigned long)(0x1000 + index);
    return 0;
}

static void put(unsigned char *entry, unsigned int pid, unsigned long long used)
{
    unsigned int none = 0xFFFFFFFFu;
    unsigned long long zero = 0;
    memcpy(entry, &pid, 4);
    memcpy(entry + 8, &used, 8);
    if (ENTRY_STRIDE >= 24) { memcpy(entry + 16, &none, 4); memcpy(entry + 20, &none, 4); }
    if (ENTRY_STRIDE >= 32) memcpy(entry + 24, &zero, 8);
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *device, unsigned int *count, unsigned char *infos)
{
    unsigned int n = PROCESS_COUNT, i;
    if (!initialized) return 1; /* NVML_ERROR_UNINITIALIZED */
    if (*count < n) { *count = n; return 7; } /* NVML_ERROR_INSUFFICIENT_SIZE */
    for (i = 0; i < n - 2; i++) put(infos + i * ENTRY_STRIDE, 100000 + i, 1024 * MIB);
    if ((unsigned long)device == 0x1000) {
        put(infos + (n - 2) * ENTRY_STRIDE, PID_A, 100 * MIB);
        put(infos + (n - 1) * ENTRY_STRIDE, 99999, 1024 * MIB);
    } else {
        put(infos + (n - 2) * ENTRY_STRIDE, PID_B, 50 * MIB);
        put(infos + (n - 1) * ENTRY_STRIDE, PID_A, NOT_AVAILABLE);
    }
    *count = n;
    return 0;
}
