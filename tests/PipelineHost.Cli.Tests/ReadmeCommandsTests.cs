using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Cli.Tests.Support;
using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Cli.Tests;

/// <summary>
/// Every command block of README.md, run against a real server (Kestrel, real workers) the way a newcomer types
/// it: the CLI's commands through the CLI, the curl lines through bash and curl, the WebSocket lines over a
/// WebSocket. Long runs are smoke runs (the README's synthetic example with fewer objects). A command this test
/// does not know fails it, so the README cannot grow a command nobody ran.
/// </summary>
public sealed partial class ReadmeCommandsTests
{
    /// <summary>Commands not run here, and why.</summary>
    private static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["dotnet run --project src/PipelineHost.Server"] = "the server this test runs against is that command, in-process",
        ["dotnet run --project src/PipelineHost.Cli -- serve"] = "as above; `serve` runs the same server",
        ["dotnet test PipelineHost.sln"] = "this test is part of that run",
        ["dotnet pack src/PipelineHost.Cli -c Release -o ./nupkg"] = "a Release pack of the CLI and the server takes minutes; checked by hand (issue 19's note)",
        ["dotnet tool install --global --add-source ./nupkg pipelinehost"] = "installs into the machine's global tools; needs the pack above",
        ["pipelinehost serve"] = "the installed tool's `serve` is `dotnet run --project src/PipelineHost.Cli -- serve`, run in-process here",
        ["dotnet run -c Release --project bench/PipelineHost.Benchmarks -- --quick"] = "minutes long; the benchmarks have their own smoke run",
        ["dotnet run --project src/PipelineHost.Server -- --cluster postgres://postgres@127.0.0.1:55432/postgres --api-key cluster-demo-key-0123456789 --port 5565 --silo-port 11111 --gateway-port 30000 --data-dir ./.pipelinehost-a"] = "a cluster host needs PostgreSQL; PipelineHost.Cluster.Tests start cluster hosts the same way",
        ["dotnet run --project src/PipelineHost.Server -- --cluster postgres://postgres@127.0.0.1:55432/postgres --api-key cluster-demo-key-0123456789 --port 5566 --silo-port 11112 --gateway-port 30001 --data-dir ./.pipelinehost-b"] = "as above",
        ["dotnet run --project src/PipelineHost.Server -- --cluster postgres://postgres@127.0.0.1:55432/postgres --api-key cluster-demo-key-0123456789 --port 5567 --silo-port 11113 --gateway-port 30002 --data-dir ./.pipelinehost-c"] = "as above",
    };

    [Fact]
    public async Task Every_command_block_of_the_readme_runs_against_a_real_server()
    {
        var blocks = ReadmeBlocks();
        Assert.Contains(blocks, b => b.Language == "json");
        await using var server = await TestServer.StartAsync();
        var cli = new CliHarness(server.WebSocketUri);
        var ran = new List<string>();

        foreach (var (language, text) in blocks)
        {
            switch (language)
            {
                case "bash" when text.Contains("curl ", StringComparison.Ordinal):
                    await RunCurlBlockAsync(server, cli, text);
                    ran.Add("curl block");
                    break;
                case "bash":
                    foreach (var line in CommandLines(text))
                    {
                        if (NotRunHere.ContainsKey(line))
                        {
                            continue;
                        }

                        Assert.True(line.StartsWith(CliPrefix, StringComparison.Ordinal), $"README command not covered by {nameof(ReadmeCommandsTests)}: '{line}'; run it here or add it to NotRunHere with the reason");
                        await RunCliLineAsync(cli, line[CliPrefix.Length..]);
                        ran.Add(line);
                    }

                    break;
                case "json":
                    await RunWebSocketLinesAsync(server, text);
                    ran.Add("json block");
                    break;
                case "csharp":
                    // The SDK sample is compiled and run as SdkEndToEndTests.Use_of_the_example_file_then_send_text_then_status.
                    break;
                default:
                    Assert.Fail($"README block of unknown kind '{language}'");
                    break;
            }
        }

        Assert.Contains("curl block", ran);
        Assert.Contains(ran, r => r.StartsWith(CliPrefix + "run ", StringComparison.Ordinal));
    }

    private const string CliPrefix = "dotnet run --project src/PipelineHost.Cli -- ";

    private static async Task RunCliLineAsync(CliHarness cli, string arguments)
    {
        var args = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var path in args.Where(a => a.StartsWith("examples/", StringComparison.Ordinal)))
        {
            // Smoke: the example as written, with a batch source's count cut so the run stays short.
            var pipeline = JsonNode.Parse(await File.ReadAllTextAsync(TestPipelines.Example(Path.GetFileName(path))))!.AsObject();
            foreach (var component in pipeline["components"]!.AsArray())
            {
                if (component!["config"]?["count"] is not null)
                {
                    component["config"]!["count"] = 20;
                }
            }

            cli.WriteFile(path, pipeline.ToJsonString());
        }

        var run = await cli.RunAsync(args);

        Assert.True(run.ExitCode == 0, $"{arguments}\n{run}");
        Assert.Empty(run.Error);
    }

    // The block as a script: the server's address and key put in, each tk_…/pk_… filled from the POST's answer
    // when its line runs, every curl answer kept to check.
    private static async Task RunCurlBlockAsync(TestServer server, CliHarness cli, string text)
    {
        cli.WriteFile("notes.txt", "Notes for the README test");
        var answers = Path.Combine(cli.WorkingDirectory, "answers");
        Directory.CreateDirectory(answers);
        var script = new StringBuilder()
            .AppendLine("set -e")
            .AppendLine($"ANSWERS='{answers}'")
            .AppendLine("curl() { n=$(ls \"$ANSWERS\" | wc -l); command curl \"$@\" > \"$ANSWERS/$(printf %03d \"$n\")\"; }")
            .AppendLine("first() { sed -n \"s/.*\\\"$1\\\":\\\"\\([^\\\"]*\\)\\\".*/\\1/p\" \"$ANSWERS/000\" | head -1; }")
            .Append(text
                .Replace("http://127.0.0.1:5565", server.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal)
                .Replace("<the printed key>", TestServer.ApiKey, StringComparison.Ordinal)
                .Replace("tk_…", "'\"$(first token)\"'", StringComparison.Ordinal)
                .Replace("pk_…", "'\"$(first publicToken)\"'", StringComparison.Ordinal))
            .ToString();

        var start = new ProcessStartInfo("bash") { WorkingDirectory = cli.WorkingDirectory, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var error = await bash.StandardError.ReadToEndAsync().WaitAsync(TestTimeouts.Default);
        await bash.WaitForExitAsync().WaitAsync(TestTimeouts.Default);

        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}: {error}\n{script}");
        var files = Directory.GetFiles(answers).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(CommandLines(text).Count(l => l.StartsWith("curl ", StringComparison.Ordinal)), files.Count);
        foreach (var file in files)
        {
            var answer = await File.ReadAllTextAsync(file);
            Assert.True(JsonNode.Parse(answer)?["status"]?.GetValue<string>() == "OK", $"{Path.GetFileName(file)}: {answer}");
        }
    }

    private static async Task RunWebSocketLinesAsync(TestServer server, string text)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(server.WebSocketUri, "/task/service"), CancellationToken.None).WaitAsync(TestTimeouts.Default);
        var buffer = new byte[64 * 1024];
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var request = line.Replace("<the printed key>", TestServer.ApiKey, StringComparison.Ordinal);
            await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(TestTimeouts.Default);
            var seq = JsonNode.Parse(request)!["seq"]!.GetValue<int>();
            JsonNode? response;
            do
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TestTimeouts.Default);
                response = JsonNode.Parse(buffer.AsSpan(0, received.Count));
            }
            while (response?["type"]?.GetValue<string>() != "response" || response["request_seq"]?.GetValue<int>() != seq);

            Assert.True(response["success"]!.GetValue<bool>(), response.ToJsonString());
        }
    }

    /// <summary>One command per line, comments and blank lines dropped.</summary>
    private static IEnumerable<string> CommandLines(string block) => block
        .Split('\n')
        .Select(l => Regex.Replace(l, @"\s+#.*$", string.Empty).Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'));

    private static List<(string Language, string Text)> ReadmeBlocks() =>
        [.. FencedBlock().Matches(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n"))
            .Select(m => (m.Groups["lang"].Value, m.Groups["body"].Value))];

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PipelineHost.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PipelineHost.sln not found above the test folder");
    }

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
