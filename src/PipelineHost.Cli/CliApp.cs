using System.CommandLine;
using PipelineHost.Client;
using PipelineHost.Cli.Commands;

namespace PipelineHost.Cli;

/// <summary>
/// The <c>pipelinehost</c> command line: parses with System.CommandLine, runs one command, and turns every failure
/// into one line on stderr (<c>pipelinehost: &lt;message&gt;</c>) and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class CliApp
{
    /// <summary>Runs the command line <paramref name="args"/> in <paramref name="environment"/> and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var root = BuildRoot(args, environment);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await FailAsync(environment, UsageMessage(args, parse)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = environment.Out,
            Error = environment.Error,

            // Failures are ours to report (one line, our exit codes), and Ctrl+C is left to the runtime and, for
            // `serve`, to ASP.NET's graceful shutdown instead of a forced exit after two seconds.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };

        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await FailAsync(environment, ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (PipelineHostException ex)
        {
            await FailAsync(environment, ex.Message).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (ArgumentException ex)
        {
            // A malformed --uri and the like; the parameter name means nothing on a command line.
            var message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;
            await FailAsync(environment, message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or TimeoutException)
        {
            await FailAsync(environment, ex.Message).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await FailAsync(environment, "interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }

    private static RootCommand BuildRoot(string[] args, CliEnvironment environment)
    {
        var globals = new GlobalOptions(environment);
        var root = new RootCommand("pipelinehost: run PipelineHost pipelines and watch them. `serve` starts a server; every other command talks to one.");
        root.Options.Add(globals.Uri);
        root.Options.Add(globals.ApiKey);
        CliCommand[] commands =
        [
            new ServeCommand(environment, globals, args),
            new RunCommand(environment, globals),
            new StatusCommand(environment, globals),
            new WatchCommand(environment, globals),
            new SendCommand(environment, globals),
            new StopCommand(environment, globals),
            new RetryFailedCommand(environment, globals),
            new ListCommand(environment, globals),
            new ValidateCommand(environment, globals),
            new ServicesCommand(environment, globals),
            new HistoryCommand(environment, globals),
        ];
        foreach (var command in commands)
        {
            root.Subcommands.Add(command.Create());
        }

        return root;
    }

    // An unknown command also leaves "Required command was not provided"; the unknown word is the useful part.
    private static string UsageMessage(string[] args, ParseResult parse)
    {
        if (args.Length == 0)
        {
            return "a command is required (see pipelinehost --help)";
        }

        var errors = parse.Errors.Select(e => e.Message).ToList();
        return errors.FirstOrDefault(e => e.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? errors[0];
    }

    private static async Task FailAsync(CliEnvironment environment, string message)
    {
        await environment.Error.WriteLineAsync($"pipelinehost: {message.TrimEnd('.')}").ConfigureAwait(false);
        await environment.Error.FlushAsync().ConfigureAwait(false);
    }
}
