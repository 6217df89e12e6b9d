namespace PipelineHost.Cli;

/// <summary>What <c>pipelinehost</c> returns to the shell; scripts depend on these, so they never change.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for happened (for <c>run --wait</c>: the task COMPLETED).</summary>
    public const int Success = 0;

    /// <summary>The server refused something, a send failed, the task did not complete, or it could not be reached.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, missing argument, unreadable input path.</summary>
    public const int Usage = 2;

    /// <summary>The server does not offer what the command needs.</summary>
    public const int Unsupported = 3;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the CLI reports as one line on stderr with a chosen exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}
