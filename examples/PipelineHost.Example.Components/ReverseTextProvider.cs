using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;

// Every plug-in says which component interface it was built against; a host with another version refuses it.
[assembly: ComponentInterfaceVersion(ComponentInterface.Version)]

namespace PipelineHost.Example.Components;

/// <summary>
/// An example plug-in component, <c>example_reverse</c>: reverses each text item it reads (by user-perceived
/// characters, so accents and emoji survive) and passes it on, optionally in upper case.
/// </summary>
public sealed class ReverseTextProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "example_reverse",
        Title: "Reverse text (example plug-in)",
        Description: "Reverses each text item, character by character; with upper true, also upper-cases it.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.Text] = [LaneNames.Text] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["upper"] = new JsonObject { ["type"] = "boolean", ["default"] = false } },
            ["additionalProperties"] = false,
        });

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Reverse(config["upper"]?.GetValue<bool>() ?? false);
    }

    /// <summary>Reverses <paramref name="text"/> by text elements.</summary>
    public static string ReverseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            elements.Add(enumerator.GetTextElement());
        }

        var reversed = new StringBuilder(text.Length);
        for (var i = elements.Count - 1; i >= 0; i--)
        {
            reversed.Append(elements[i]);
        }

        return reversed.ToString();
    }

    // Task-wide and stateless, so safe for the concurrent objects of a task.
    private sealed class Reverse(bool upper) : IComponent, IObjectProcessor
    {
        public IObjectProcessor Begin(ObjectContext context) => this;

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(output);
            var text = ReverseText(((TextPayload)payload).Text);
            return output.EmitAsync(LaneNames.Text, new TextPayload(upper ? text.ToUpperInvariant() : text), cancellationToken);
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
