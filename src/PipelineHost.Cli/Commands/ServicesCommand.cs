using System.CommandLine;
using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary><c>services [name] [--json]</c>: the component providers the server offers, or one in detail.</summary>
internal sealed class ServicesCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string?> _name = new("name") { Description = "One provider to describe", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("services", "List the component providers, or describe one") { _name, _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var name = parse.GetValue(_name);
        var json = parse.GetValue(_json);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(name))
            {
                var service = await client.GetServiceAsync(name, cancellationToken).ConfigureAwait(false);
                await WriteAsync(json, service.Raw, () => Describe(Environment.Console, service), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var catalog = await client.GetServicesAsync(cancellationToken).ConfigureAwait(false);
                await WriteAsync(json, catalog.Raw, () => List(Environment.Console, catalog), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
    }

    private Task WriteAsync(bool json, JsonObject raw, Action print, CancellationToken cancellationToken)
    {
        if (json)
        {
            return JsonOutput.WriteAsync(Environment.Out, raw.DeepClone(), cancellationToken);
        }

        print();
        return Task.CompletedTask;
    }

    private static void List(IAnsiConsole console, ServiceCatalog catalog)
    {
        var table = new Table().AddColumns("name", "title", "description");
        foreach (var service in catalog.Services.Values)
        {
            table.AddRow(Markup.Escape(service.Name), Markup.Escape(service.Title), Markup.Escape(service.Description));
        }

        console.Write(table);
    }

    private static void Describe(IAnsiConsole console, ServiceInfo service)
    {
        console.MarkupLine($"[bold]{Markup.Escape(service.Name)}[/]: {Markup.Escape(service.Title)}");
        console.MarkupLine(Markup.Escape(service.Description));
        if (service.Raw["lanes"] is JsonObject lanes && lanes.Count > 0)
        {
            console.MarkupLine("[grey]lanes[/]");
            foreach (var (input, outputs) in lanes)
            {
                console.MarkupLine($"  {Markup.Escape(input)} → {Markup.Escape(outputs?.ToJsonString() ?? "[]")}");
            }
        }

        if (service.Raw["config"]?["properties"] is JsonObject properties && properties.Count > 0)
        {
            var table = new Table().AddColumns("config", "type", "description");
            foreach (var (property, schema) in properties)
            {
                table.AddRow(Markup.Escape(property), Markup.Escape(Text(schema?["type"])), Markup.Escape(Text(schema?["description"])));
            }

            console.Write(table);
        }
    }

    // Schema entries are free-form: a string as itself, anything else (a list of types, say) as JSON.
    private static string Text(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue value when value.TryGetValue(out string? text) => text,
        _ => node.ToJsonString(),
    };
}
