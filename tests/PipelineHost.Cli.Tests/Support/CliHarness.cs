using System.Text.Json.Nodes;
using PipelineHost.Cli;
using PipelineHost.Client.Tests.Support;
using Spectre.Console;

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

    public async Task<CliRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        var variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal) { ["PIPELINEHOST_URI"] = serverUri.ToString() };
        if (apiKey is not null)
        {
            variables.TryAdd("PIPELINEHOST_API_KEY", apiKey);
        }

        var environment = new CliEnvironment
        {
            Out = output,
            Error = error,
            Console = console,
            GetVariable = name => variables.GetValueOrDefault(name),
            WorkingDirectory = WorkingDirectory,
        };
        var exitCode = await CliApp.RunAsync(args, environment).WaitAsync(TestTimeouts.Default);
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

/// <summary>One server shared by a test class: CLI tests start their own tasks and never touch each other's.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
