using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Runs an allowed program once per object: the object's bytes (or text) on its stdin, its stdout emitted as
/// text or bytes. No shell is involved; the program and its arguments are passed as they are. Only programs in
/// <see cref="ComponentEnvironment.ExecAllowList"/> may run, and none when that list is empty.
/// </summary>
public sealed class ExecProvider : IComponentProvider
{
    private const string Name = "exec";

    /// <summary>The most stdout one run may produce.</summary>
    public const int MaxOutput = 64 * 1024 * 1024;

    /// <summary>How much stderr is kept for the error message (the rest is read and dropped).</summary>
    private const int MaxError = 64 * 1024;

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Run a program",
        Description: "Pipes each object's bytes or text through a program on the server's allow-list and emits its stdout as text or bytes.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Tags] = [LaneNames.Text, LaneNames.Tags],
            [LaneNames.Text] = [LaneNames.Text, LaneNames.Tags],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["command"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "Absolute path of the program; must be on the server's exec allow-list." },
                ["args"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" }, ["default"] = new JsonArray(), ["description"] = "Arguments, passed as they are (no shell)." },
                ["timeoutMs"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 3_600_000, ["default"] = 30_000, ["description"] = "How long one run may take before the program (and its children) are killed." },
                ["output"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("text", "tags"), ["default"] = "text", ["description"] = "Emit stdout as UTF-8 text on 'text' or as bytes on 'tags'." },
            },
            ["required"] = new JsonArray("command"),
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"upper_1","provider":"exec","config":{"command":"/usr/bin/tr","args":["a-z","A-Z"],"timeoutMs":30000,"output":"text"},"input":[{"lane":"text","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.ExecAllowList.Count == 0)
        {
            throw new ComponentConfigException("exec is disabled: the server allows no programs");
        }

        var command = ConfigValues.GetRequiredString(config, Name, "command");
        if (!Path.IsPathFullyQualified(command))
        {
            throw new ComponentConfigException($"exec: config.command must be an absolute path, not '{command}'");
        }

        var full = Path.GetFullPath(command);
        if (!environment.ExecAllowList.Any(allowed => Path.IsPathFullyQualified(allowed) &&
                                                      string.Equals(Path.GetFullPath(allowed), full, StringComparison.Ordinal)))
        {
            throw new ComponentConfigException($"exec: '{command}' is not in the server's allow-list");
        }

        var args = ConfigValues.GetStrings(config, Name, "args", []);
        var timeoutMs = ConfigValues.GetInt32(config, Name, "timeoutMs", 30_000, 1, 3_600_000);
        var output = ConfigValues.GetChoice(config, Name, "output", "text", "text", "tags");
        return new Exec(new Settings(full, args, timeoutMs, output == "tags" ? LaneNames.Tags : LaneNames.Text, environment.Time));
    }

    private sealed record Settings(string Command, IReadOnlyList<string> Args, int TimeoutMs, string OutputLane, TimeProvider Time);

    private sealed class Exec(Settings settings) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(settings);
    }

    private sealed class Processor(Settings settings) : IObjectProcessor
    {
        private readonly ObjectBuffer _input = new(Name);
        private readonly FirstLaneBytes _lanes = new(Name, followed => $"feeding lane '{followed}' to '{settings.Command}'");

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (_lanes.Read(lane, payload, output) is { } bytes)
            {
                _input.Append(bytes.Span);
            }

            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            var stdout = await RunAsync(cancellationToken).ConfigureAwait(false);
            LanePayload result = settings.OutputLane == LaneNames.Tags
                ? new BytesPayload(stdout)
                : new TextPayload(Encoding.UTF8.GetString(stdout));
            await output.EmitAsync(settings.OutputLane, result, cancellationToken).ConfigureAwait(false);
        }

        private async Task<byte[]> RunAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var command = settings.Command;
            var start = new ProcessStartInfo(command)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            foreach (var arg in settings.Args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = new Process { StartInfo = start };
            try
            {
                process.Start();
            }
            catch (Win32Exception ex)
            {
                throw new InvalidOperationException($"exec: could not start '{command}': {ex.Message}", ex);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(settings.TimeoutMs), settings.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var token = linked.Token;
            var stdin = WriteInputAsync(process.StandardInput.BaseStream, _input.Memory, token);
            var stdout = ReadAsync(process.StandardOutput.BaseStream, MaxOutput, $"exec: '{command}' wrote more than {MaxOutput / (1024 * 1024)} MiB to stdout", token);
            var stderr = ReadAsync(process.StandardError.BaseStream, MaxError, null, token);
            try
            {
                // Fail fast: a stdout over the limit must stop the run now, not when the timeout fires.
                var pending = new List<Task> { stdin, stdout, stderr };
                while (pending.Count > 0)
                {
                    var done = await Task.WhenAny(pending).WaitAsync(token).ConfigureAwait(false);
                    await done.ConfigureAwait(false);
                    pending.Remove(done);
                }

                await process.WaitForExitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await KillAsync(process, stdin, stdout, stderr).ConfigureAwait(false);
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"exec: '{command}' timed out after {settings.TimeoutMs} ms"));
            }
            catch
            {
                // Cancelled, or stdout too large: stop the program before reporting.
                await KillAsync(process, stdin, stdout, stderr).ConfigureAwait(false);
                throw;
            }

            if (process.ExitCode != 0)
            {
                var firstLine = Encoding.UTF8.GetString(stderr.Result)
                    .Split('\n')
                    .Select(l => l.Trim())
                    .FirstOrDefault(l => l.Length > 0);
                if (firstLine is { Length: > 500 })
                {
                    firstLine = firstLine[..500] + "…";
                }

                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"exec: '{command}' exited with code {process.ExitCode}{(firstLine is null ? string.Empty : ": " + firstLine)}"));
            }

            return stdout.Result;
        }

        private static async Task WriteInputAsync(Stream stdin, ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            try
            {
                await stdin.WriteAsync(input, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The program exited or closed stdin without reading it all: its exit code tells the story.
            }
            finally
            {
                try
                {
                    await stdin.DisposeAsync().ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // As above: closing a pipe nobody reads may fail the same way.
                }
            }
        }

        /// <summary>Reads <paramref name="stream"/> to its end, keeping at most <paramref name="limit"/> bytes; past it, fails with <paramref name="tooLarge"/> or, when null, drops the rest.</summary>
        private static async Task<byte[]> ReadAsync(Stream stream, int limit, string? tooLarge, CancellationToken cancellationToken)
        {
            using var result = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var keep = (int)Math.Min(read, limit - result.Length);
                if (keep < read && tooLarge is not null)
                {
                    throw new InvalidOperationException(tooLarge);
                }

                result.Write(buffer, 0, keep);
            }

            return result.ToArray();
        }

        private static async Task KillAsync(Process process, params Task[] pipes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
            {
                // Already gone.
            }

            // The pipes end with the process tree; observe their outcome so nothing goes unobserved.
            _ = Task.WhenAll(pipes).ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
