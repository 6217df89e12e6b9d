using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3: execute → RUNNING latency and concurrent launches per second, with the worker pool off and on,
/// against Process.Start of a minimal .NET program until it prints "ready".
/// </summary>
public static class TaskLaunchScenario
{
    public const string Name = "launch";
    private const int WarmUps = 2;

    /// <summary>Launches started at once in the concurrent measurement; also the pooled server's pool size.</summary>
    private const int Burst = 4;

    public static async Task RunAsync(Report report, bool quick)
    {
        var launches = quick ? 10 : 20;
        var rounds = quick ? 3 : 5;
        await using var cold = await SubjectServer.StartAsync(o => o with { WorkerPoolSize = 0 });
        await using var pooled = await SubjectServer.StartAsync(o => o with { WorkerPoolSize = Burst });
        var coldClients = await ConnectAsync(cold, Burst);
        var pooledClients = await ConnectAsync(pooled, Burst);
        var bare = new Arm();
        var off = new Arm();
        var on = new Arm();
        var me = Process.GetCurrentProcess();
        var cpuBefore = Report.CpuOf(me);
        var wall = Stopwatch.StartNew();

        try
        {
            for (var i = 0; i < WarmUps + launches; i++)
            {
                // A full pool before each launch: this measures a launch from a warm pool, not the pool's refill.
                await WaitForFullPoolAsync(pooled);
                var measured = i >= WarmUps;
                await bare.TimeAsync(measured, () => Task.FromResult(MinimalReadyProcess.Start()), p => { MinimalReadyProcess.Stop(p); return Task.CompletedTask; });
                await off.TimeAsync(measured, () => LaunchAsync(coldClients[0]), token => TerminateAsync(coldClients[0], token));
                await on.TimeAsync(measured, () => LaunchAsync(pooledClients[0]), token => TerminateAsync(pooledClients[0], token));
            }

            for (var round = 0; round < rounds; round++)
            {
                await WaitForFullPoolAsync(pooled);
                await bare.BurstAsync(() => Enumerable.Range(0, Burst).Select(_ => Task.Run(MinimalReadyProcess.Start)).ToList(), all => Task.Run(() => Parallel.ForEach(all, MinimalReadyProcess.Stop)));
                await off.BurstAsync(() => coldClients.Select(LaunchAsync).ToList(), tokens => TerminateAllAsync(coldClients, tokens));
                await on.BurstAsync(() => pooledClients.Select(LaunchAsync).ToList(), tokens => TerminateAllAsync(pooledClients, tokens));
            }
        }
        finally
        {
            foreach (var client in coldClients.Concat(pooledClients))
                await client.DisposeAsync();
        }

        var serverCpu = Report.Cores(Report.CpuOf(me) - cpuBefore, wall.Elapsed);
        const string whyOff = "most likely (not profiled) because a launch also creates the task record, validates the pipeline, starts the worker with its settings over the pipe "
            + "and waits for the worker to load the pipeline's components and report RUNNING; a worker that loads fewer assemblies, "
            + "or the worker pool (the pool-on rows), would close it.";
        const string whyOn = "a pooled launch is a round trip to a worker that is already running and warm (process, runtime, JIT and component assemblies paid while idle), "
            + "so what remains is the host's own work (task record, validation, placeholder resolution, status events) plus the worker's pipeline build and its RUNNING event; "
            + "the baseline pays a process start and nothing else, so a pooled launch can beat it. Missing here means that remainder is larger than a process start on this machine.";
        const string whyConcurrent = "with the pool off, each launch is a process start plus the worker's runtime start, JIT and component loading (several times the CPU of the baseline's "
            + "minimal program), and four of them share two cores; the pool moves that cost before the burst, as long as the burst fits in the pool.";

        report.Add(new ReportRow(Name, "execute → RUNNING p50, pool off", Stats.Median(off.Latencies), Stats.Median(bare.Latencies), "ms", 1.15, false, "in process", serverCpu) { WhyMissed = whyOff });
        report.Add(new ReportRow(Name, "execute → RUNNING p99, pool off", Stats.Percentile(off.Latencies, 0.99), Stats.Percentile(bare.Latencies, 0.99), "ms", null, false));
        report.Add(new ReportRow(Name, "execute → RUNNING p50, pool on", Stats.Median(on.Latencies), Stats.Median(bare.Latencies), "ms", 1.15, false) { WhyMissed = whyOn });
        report.Add(new ReportRow(Name, "execute → RUNNING p99, pool on", Stats.Percentile(on.Latencies, 0.99), Stats.Percentile(bare.Latencies, 0.99), "ms", null, false));
        report.Add(new ReportRow(Name, "execute → RUNNING p50, pool on ÷ pool off", Stats.Median(on.Latencies), Stats.Median(off.Latencies), "ms", 1 / 3.0, false)
        {
            WhyMissed = "the pool removes process start, runtime start and JIT from a launch but not the host's own work or the pipeline build; "
                + "when those are more than a third of a cold launch, the cut is less than 3×.",
        });
        report.Add(new ReportRow(Name, $"concurrent launches ({Burst} at once), pool off", Stats.Median(off.Rates), Stats.Median(bare.Rates), "launches/s", 0.85, true) { WhyMissed = whyConcurrent });
        report.Add(new ReportRow(Name, $"concurrent launches ({Burst} at once), pool on", Stats.Median(on.Rates), Stats.Median(bare.Rates), "launches/s", 0.85, true) { WhyMissed = whyConcurrent });
        report.Add(new ReportRow(Name, "CPU per sequential launch (host + worker), pool off", off.CpuPerLaunchMs, bare.CpuPerLaunchMs, "ms CPU", null, false));
        report.Add(new ReportRow(Name, "CPU per sequential launch (host + worker), pool on", on.CpuPerLaunchMs, bare.CpuPerLaunchMs, "ms CPU", null, false));
        report.Note(Name, $"Two PipelineHost servers in process, one with the worker pool off (`--worker-pool-size 0`) and one with a pool of {Burst}. "
            + $"Sequential: {launches} rounds after {WarmUps} warm-ups, each round timing the baseline, a launch with the pool off and one with it on, in that order, "
            + "each launch an `execute` of the echo pipeline over a WebSocket (the response comes once the task is RUNNING) followed by `terminate` (not timed); "
            + "every round first waits until the pool is full again, so the pool-on figures are launches from a warm pool (its refill, one worker at a time, happens between rounds). "
            + $"Concurrent: {rounds} rounds of {Burst} launches at once (one connection each) per arm, rate = {Burst} ÷ time until the last is RUNNING, median of the rounds; "
            + $"the pool holds {Burst}, so every pooled launch of a burst finds a warm worker (a longer burst starts the rest cold, at the pool-off rate, while the pool refills). "
            + "Baseline: `Process.Start` of bench/MinimalReady's apphost until its \"ready\" line is read (concurrently: that many at once). "
            + "CPU per launch: this process plus its reaped children (/proc/self/stat utime+stime+cutime+cstime) over each sequential launch and its terminate, so a pooled "
            + "worker's warm-up counts with the launch that used it (each reaped worker carries its own); the baseline's is its process start and exit. "
            + "The server CPU column is this process over the whole scenario, all arms, workers excluded. With this few launches p99 is the largest sample.");
    }

    private static async Task<MiniClient[]> ConnectAsync(SubjectServer server, int count)
    {
        var clients = new MiniClient[count];
        for (var i = 0; i < count; i++)
            clients[i] = await server.ConnectAsync();
        return clients;
    }

    /// <summary>Starts the echo pipeline; completes once the task is RUNNING, with its token.</summary>
    private static async Task<string> LaunchAsync(MiniClient client)
    {
        var started = await client.RequestAsync("execute", SubjectServer.EchoExecuteArguments());
        return started.Body!["token"]!.GetValue<string>();
    }

    private static Task TerminateAsync(MiniClient client, string token) =>
        client.RequestAsync("terminate", new JsonObject { ["token"] = token });

    private static Task TerminateAllAsync(MiniClient[] clients, IReadOnlyList<string> tokens) =>
        Task.WhenAll(clients.Zip(tokens, TerminateAsync));

    private static async Task WaitForFullPoolAsync(SubjectServer server)
    {
        var guard = Stopwatch.StartNew();
        while (server.Tasks.IdleWorkers < Burst)
        {
            if (guard.Elapsed > TimeSpan.FromSeconds(60))
                throw new InvalidOperationException($"The worker pool did not refill to {Burst} within 60 s.");
            await Task.Delay(10);
        }
    }

    /// <summary>One arm's figures: sequential latencies and CPU, and concurrent rates.</summary>
    private sealed class Arm
    {
        private long _cpuTicks;

        public List<double> Latencies { get; } = [];

        public List<double> Rates { get; } = [];

        public double CpuPerLaunchMs => Latencies.Count == 0 ? double.NaN : _cpuTicks * 1000.0 / ProcFsProcessTreeProbe.ClockTicksPerSecond / Latencies.Count;

        /// <summary>Times <paramref name="start"/>; counts CPU (this process and reaped children) until <paramref name="stop"/> is done.</summary>
        public async Task TimeAsync<T>(bool measured, Func<Task<T>> start, Func<T, Task> stop)
        {
            var cpu = SelfAndChildrenCpuTicks();
            var watch = Stopwatch.StartNew();
            var started = await start();
            var elapsed = watch.Elapsed.TotalMilliseconds;
            await stop(started);
            if (measured)
            {
                Latencies.Add(elapsed);
                _cpuTicks += SelfAndChildrenCpuTicks() - cpu;
            }
        }

        /// <summary>Rate of a burst: launches ÷ time from starting them all until all are up.</summary>
        public async Task BurstAsync<T>(Func<IReadOnlyList<Task<T>>> startAll, Func<IReadOnlyList<T>, Task> stopAll)
        {
            var watch = Stopwatch.StartNew();
            var launches = startAll();
            var started = await Task.WhenAll(launches);
            Rates.Add(launches.Count / watch.Elapsed.TotalSeconds);
            await stopAll(started);
        }

        /// <summary>utime + stime + cutime + cstime of this process, in clock ticks (cutime/cstime: children it has reaped).</summary>
        private static long SelfAndChildrenCpuTicks()
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime..cstime are fields 14..17.
            return Enumerable.Range(14, 4).Sum(f => long.Parse(fields[f - 3], CultureInfo.InvariantCulture));
        }
    }
}
