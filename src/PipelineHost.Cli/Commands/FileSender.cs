using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary>What happened to one file: its result, or why it failed.</summary>
internal sealed record SendOutcome(FileInfo File, PipelineResult? Result, string? Error)
{
    public bool Succeeded => Error is null;

    public JsonObject ToJson() => Result is { } result
        ? new JsonObject { ["file"] = File.FullName, ["result"] = result.Raw.DeepClone() }
        : new JsonObject { ["file"] = File.FullName, ["error"] = Error };
}

/// <summary>Sends files to a task a few at a time and reports each one as it finishes; shared by <c>run</c> and <c>send</c>.</summary>
internal static class FileSender
{
    /// <summary>Files in flight at once: enough to hide round trips, few enough not to hog the task's pipes.</summary>
    public const int Parallelism = 4;

    public static async Task<IReadOnlyList<SendOutcome>> SendAsync(
        PipelineHostClient client,
        string token,
        IReadOnlyList<FileInfo> files,
        Action<SendOutcome>? sent,
        CancellationToken cancellationToken)
    {
        var outcomes = new SendOutcome[files.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), options, async (index, ct) =>
        {
            var file = files[index];
            SendOutcome outcome;
            try
            {
                outcome = new SendOutcome(file, await client.SendAsync(token, file, cancellationToken: ct).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is PipelineHostException or IOException or UnauthorizedAccessException or TimeoutException)
            {
                // One bad file must not hide the others' results; the exit code reports it.
                outcome = new SendOutcome(file, null, ex is PipelineHostException ? ServerMessages.Explain(ex.Message) : ex.Message);
            }

            outcomes[index] = outcome;
            sent?.Invoke(outcome);
        }).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>One line per file: its object name and the start of the text the pipeline returned, or the error.</summary>
    public static void Print(IAnsiConsole console, IReadOnlyList<SendOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            PrintOne(console, outcome);
        }
    }

    /// <summary>The line for one file.</summary>
    public static void PrintOne(IAnsiConsole console, SendOutcome outcome)
    {
        if (outcome.Result is { } result)
        {
            var preview = Format.Preview(result.GetText());
            console.MarkupLine($"[green]✓[/] {Markup.Escape(result.Name)}{(preview.Length > 0 ? " [grey]→[/] " + Markup.Escape(preview) : string.Empty)}");
        }
        else
        {
            console.MarkupLine($"[red]✗[/] {Markup.Escape(outcome.File.Name)}: {Markup.Escape(outcome.Error ?? "failed")}");
        }
    }

    public static JsonArray ToJson(IEnumerable<SendOutcome> outcomes) => new(outcomes.Select(o => (JsonNode?)o.ToJson()).ToArray());
}
