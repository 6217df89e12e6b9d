using System.CommandLine;
using PipelineHost.Client;
using PipelineHost.Cli.Commands;
using PipelineHost.Cli.Output;

namespace PipelineHost.Cli;

/// <summary>
/// The <c>pipelinehost</c> command line: parses with System.CommandLine, runs one command, and turns every failure
/// into one line on stderr (<c>pipelinehost: &lt;message&gt;</c>) and an exit code from <see cref="ExitCodes"/>;
/// with <c>--json</c>, also into the one JSON document stdout promises (<see cref="JsonOutput.Error"/>).
/// </summary>
public static class CliApp
{
    /// <summary>Runs the command line <paramref name="args"/> in <paramref name="environment"/> and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        // `serve` passes its options to the server untouched, so its help is the server's: every option, not ours.
        if (args is ["serve", ..] && PipelineHost.Server.Hosting.ServerHelp.IsRequested(args))
        {
            await environment.Out.WriteLineAsync(PipelineHost.Server.Hosting.ServerHelp.Text.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var root = BuildRoot(args, environment);
        var parse = root.Parse(args);
        var json = args.Contains("--json", StringComparer.Ordinal);
        if (parse.Errors.Count > 0)
        {
            return await FailAsync(environment, json, UsageMessage(args, parse), ExitCodes.Usage).ConfigureAwait(false);
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
            return await FailAsync(environment, json, ex.Message, ex.ExitCode).ConfigureAwait(false);
        }
        catch (PipelineHostException ex)
        {
            return await FailAsync(environment, json, ServerMessages.Explain(ex.Message), ExitCodes.Failure).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // A malformed --uri and the like; the parameter name means nothing on a command line.
            var message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;
            return await FailAsync(environment, json, message, ExitCodes.Usage).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or TimeoutException)
        {
            return await FailAsync(environment, json, ex.Message, ExitCodes.Failure).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await FailAsync(environment, json, "interrupted", ExitCodes.Interrupted).ConfigureAwait(false);
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

    private static async Task<int> FailAsync(CliEnvironment environment, bool json, string message, int exitCode)
    {
        message = message.TrimEnd('.');
        await environment.Error.WriteLineAsync($"pipelinehost: {message}").ConfigureAwait(false);
        await environment.Error.FlushAsync().ConfigureAwait(false);
        if (json)
        {
            await JsonOutput.WriteAsync(environment.Out, JsonOutput.Error(message, exitCode), CancellationToken.None).ConfigureAwait(false);
        }

        return exitCode;
    }
}
