namespace PipelineHost.Cli.Output;

/// <summary>
/// Server messages that keep RocketRide's wire wording (SDKs match on it) but mislead a person at a terminal,
/// said truthfully in the CLI's words.
/// </summary>
internal static class ServerMessages
{
    /// <summary>RocketRide's answer for a token that matches no task, whether mistyped or long gone.</summary>
    public const string NotRunning = "Your pipeline is not running";

    /// <summary>What the CLI says for <see cref="NotRunning"/>.</summary>
    public const string UnknownToken = "unknown task token: no task on this server has it (mistyped, or the task ended and has been forgotten)";

    /// <summary>The message as the CLI shows it.</summary>
    public static string Explain(string message) =>
        message.StartsWith(NotRunning, StringComparison.Ordinal) ? UnknownToken : message;
}
