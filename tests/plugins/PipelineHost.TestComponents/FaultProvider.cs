using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.TestComponents;

/// <summary>
/// A test-only component that misbehaves on purpose: fails the object, exits the worker with a code, crashes
/// it, holds the object mid-pipeline, or keeps the worker alive after it was told to stop. A plug-in that only the
/// test harnesses load (their components folder), so the lifecycle's failure paths can be proved with a real worker
/// process.
/// </summary>
public sealed class FaultProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "fault",
        Title: "Fault (tests only)",
        Description: "On the first write, by 'action': 'throw' fails the object, 'exit' ends the worker with exitCode, 'crash' aborts the worker process, 'block' holds the object here until the task stops, 'hang' passes the object on but keeps the worker process alive after a stop request (until it is killed), 'garble' writes an undecodable frame on the worker's channel to the host, 'impersonate' writes a well-formed message only the host may send. With failTimes n, 'throw' fails only the first n attempts at each object (by name), so retries can succeed; failAt 'close' throws when the object closes instead; passIfExists names a file whose existence turns the fault off (a dependency that recovered).",
        ClassTypes: ["transform"],
        Lanes: LaneNames.All.ToDictionary(l => l, l => (IReadOnlyList<string>)[l], StringComparer.Ordinal),
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["action"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("throw", "exit", "crash", "block", "hang", "garble", "impersonate", "none") },
                ["exitCode"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = 255 },
                ["match"] = new JsonObject { ["type"] = "string" },
                ["failTimes"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                ["failAt"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("write", "close") },
                ["passIfExists"] = new JsonObject { ["type"] = "string" },
            },
        });

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => new Fault(
        config["action"]?.GetValue<string>() ?? "throw",
        config["exitCode"]?.GetValue<int>() ?? 3,
        config["match"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : null,
        config["failTimes"] is JsonValue t && t.TryGetValue(out int times) ? times : null,
        config["failAt"]?.GetValue<string>() == "close",
        config["passIfExists"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null);

    private sealed class Fault(string mode, int exitCode, string? match, int? failTimes, bool atClose, string? passIfExists) : IComponent
    {
        // Attempts seen per object name: a retry begins the object again, and only the first failTimes fail.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

        public IObjectProcessor Begin(ObjectContext context)
        {
            if ((match is not null && !context.Name.Contains(match, StringComparison.Ordinal)) || (passIfExists is not null && File.Exists(passIfExists)))
            {
                return new PassThrough();
            }

            var attempt = _attempts.AddOrUpdate(context.Name, 1, (_, n) => n + 1);
            return failTimes is { } n && attempt > n ? new PassThrough() : new Processor(mode, exitCode, atClose);
        }
    }

    private sealed class Processor(string mode, int exitCode, bool atClose) : IObjectProcessor
    {
        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (atClose)
            {
                await output.EmitAsync(lane, payload, cancellationToken).ConfigureAwait(false);
                return;
            }

            switch (mode)
            {
                case "block":
                    // Only a stop ends the wait: the object stays visibly inside this component until then.
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                    break;
                case "hang":
                    // A foreground thread keeps the process alive after its Main returns: a worker that does not
                    // stop when asked, which only the host's kill after the grace ends.
                    new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = false, Name = "fault-hang" }.Start();
                    Console.Error.WriteLine("fault: this worker will not stop by itself");
                    break;
                case "exit":
                    Console.Error.WriteLine($"fault: exiting with code {exitCode}");
                    Environment.Exit(exitCode);
                    break;
                case "crash":
                    Environment.FailFast("fault: crashing on purpose");
                    break;
                case "throw":
                    throw new InvalidOperationException("fault: failing this object on purpose");
                case "garble":
                    // 0xC1 is the one byte MessagePack never uses: a frame no reader can decode.
                    WriteToHostChannel([0, 0, 0, 1, 1, 0xC1]);
                    break;
                case "impersonate":
                    // StopWorker(Seq 1), [5, [1]] (protocol-spec/worker-ipc.md): well formed, but a worker may not send it.
                    WriteToHostChannel([0, 0, 0, 4, 1, 0x92, 0x05, 0x91, 0x01]);
                    break;
            }

            await output.EmitAsync(lane, payload, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Writes raw bytes on the worker's stdout (the channel; Console.Out goes to stderr in a worker), in
        /// one write so they land between the worker's own frames.</summary>
        private static void WriteToHostChannel(byte[] bytes)
        {
            using var channel = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1);
            channel.Write(bytes);
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) =>
            atClose && mode == "throw"
                ? throw new InvalidOperationException("fault: failing this object on purpose (at close)")
                : ValueTask.CompletedTask;
    }

    private sealed class PassThrough : IObjectProcessor
    {
        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken) =>
            output.EmitAsync(lane, payload, cancellationToken);

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
