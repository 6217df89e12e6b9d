using System.CommandLine;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary><c>validate &lt;pipeline&gt; [--json]</c>: checks a pipeline file on the server; exits 1 when it has errors.</summary>
internal sealed class ValidateCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _pipeline = new("pipeline") { Description = "The pipeline file" };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("validate", "Check a pipeline file without running it; exit 1 when it has errors") { _pipeline, _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var path = FullPath(parse.GetRequiredValue(_pipeline));
        if (!File.Exists(path))
        {
            throw new CliException($"no such pipeline file: {parse.GetRequiredValue(_pipeline)}", ExitCodes.Usage);
        }

        var pipeline = await PipelineFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            var report = await client.ValidateAsync(pipeline, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                await JsonOutput.WriteAsync(Environment.Out, report.Raw.DeepClone(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Print(Environment.Console, report, parse.GetRequiredValue(_pipeline));
            }

            return report.IsValid ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    private static void Print(IAnsiConsole console, ValidationReport report, string name)
    {
        foreach (var error in report.Errors)
        {
            console.MarkupLine($"[red]error[/]   {Markup.Escape(error.Message)}");
        }

        foreach (var warning in report.Warnings)
        {
            console.MarkupLine($"[yellow]warning[/] {Markup.Escape(warning.Message)}");
        }

        foreach (var note in report.Notes)
        {
            var where = note.Id is null ? string.Empty : $"{note.Id}: ";
            console.MarkupLine($"[grey]note[/]    {Markup.Escape(where + note.Message)}");
        }

        console.MarkupLine(report.IsValid
            ? $"[green]✓[/] {Markup.Escape(name)} is valid"
            : $"[red]✗[/] {Markup.Escape(name)}: {report.Errors.Count} error(s)");
    }
}
