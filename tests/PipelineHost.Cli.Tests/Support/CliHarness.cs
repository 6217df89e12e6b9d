using System.Text.Json.Nodes;
using PipelineHost.Cli;
using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Cli.Tests.Support;

/// <summary>What one in-process <c>pipelinehost</c> run did.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output as the one JSON document <c>--json</c> promises (fails if it is anything else).</summary>
    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException("stdout is JSON null");

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs <c>pipelinehost</c> commands in this process against a test server, with stdout, stderr and the rich console
/// captured and the environment variables given explicitly (never the test process's own).
/// </summary>
public sealed class CliHarness(Uri serverUri, string? apiKey = TestServer.ApiKey)
{
    public string WorkingDirectory { get; } = CreateWorkingDirectory();

    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    /// <summary>How long a command may take before the test calls it hung; a guard, never a speed assertion.</summary>
    public TimeSpan HangGuard { get; init; } = TestTimeouts.Default;

    public Task<CliRun> RunAsync(params string[] args) => Start(args).Completion;

    /// <summary>Starts a command and returns at once: its output so far can be read while it runs.</summary>
    public RunningCli Start(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var syncOut = TextWriter.Synchronized(output);
        return new RunningCli(output, syncOut, RunCoreAsync(args, output, syncOut, error));
    }

    private async Task<CliRun> RunCoreAsync(string[] args, StringWriter output, TextWriter syncOut, StringWriter error)
    {
        await Task.Yield();
        // What the real command gets when its output goes to a pipe or a file, as it does here.
        var console = CliEnvironment.CreateConsole(syncOut, redirected: true, noColor: null);
        var variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal) { ["PIPELINEHOST_URI"] = serverUri.ToString() };
        if (apiKey is not null)
        {
            variables.TryAdd("PIPELINEHOST_API_KEY", apiKey);
        }

        var environment = new CliEnvironment
        {
            Out = syncOut,
            Error = error,
            Console = console,
            GetVariable = name => variables.GetValueOrDefault(name),
            WorkingDirectory = WorkingDirectory,
        };
        var exitCode = await CliApp.RunAsync(args, environment).WaitAsync(HangGuard);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Writes a file under the working folder and returns its relative path.</summary>
    public string WriteFile(string relativePath, string content)
    {
        var path = Path.Combine(WorkingDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return relativePath;
    }

    private static string CreateWorkingDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "pipelinehost-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>A command still running: its standard output so far, and its end.</summary>
public sealed class RunningCli(StringWriter output, TextWriter writer, Task<CliRun> completion)
{
    public Task<CliRun> Completion { get; } = completion;

    /// <summary>Waits (hang guard only) until standard output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (!Snapshot().Contains(text, StringComparison.Ordinal))
        {
            if (Completion.IsCompleted)
            {
                throw new InvalidOperationException($"ended without printing '{text}': {await Completion}");
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    // The synchronized writer locks on itself for every write.
    private string Snapshot()
    {
        lock (writer)
        {
            return output.ToString();
        }
    }
}

/// <summary>One server shared by a test class: CLI tests start their own tasks and never touch each other's.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
