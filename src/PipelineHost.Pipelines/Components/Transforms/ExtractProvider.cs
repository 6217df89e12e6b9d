using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Pulls structured fields out of text with a regex: one table per object, one column per named group (in the
/// order the groups appear in the pattern) and one row per match.
/// </summary>
public sealed class ExtractProvider : IComponentProvider
{
    private const string Name = "extract";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Extract fields",
        Description: "Collects an object's text and emits one table with a column per named group of 'pattern' and a row per match.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Table],
            [LaneNames.Documents] = [LaneNames.Table],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["pattern"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "Regex with at least one named group, e.g. (?<key>\\w+)=(?<value>\\S+)." },
                ["all"] = new JsonObject { ["type"] = "boolean", ["default"] = true, ["description"] = "Every match (true) or only the first (false)." },
            },
            ["required"] = new JsonArray("pattern"),
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"emails_1","provider":"extract","config":{"pattern":"(?<user>[\\w.+-]+)@(?<domain>[\\w-]+(\\.[\\w-]+)+)","all":true},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var regex = ComponentRegex.Create(Name, "pattern", ConfigValues.GetRequiredString(config, Name, "pattern"));
        var all = ConfigValues.GetBoolean(config, Name, "all", true);
        // Named groups are numbered after the unnamed ones, in the order they appear: number order is pattern order.
        var groups = regex.GetGroupNumbers()
            .Select(n => (Number: n, Name: regex.GroupNameFromNumber(n)))
            .Where(g => !int.TryParse(g.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            .OrderBy(g => g.Number)
            .Select(g => g.Name)
            .ToList();
        if (groups.Count == 0)
        {
            throw new ComponentConfigException($"{Name}: config.pattern needs at least one named group, e.g. (?<name>...).");
        }

        return new Extract(regex, groups, all);
    }

    private sealed class Extract(Regex regex, IReadOnlyList<string> groups, bool all) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(regex, groups, all);
    }

    private sealed class Processor(Regex regex, IReadOnlyList<string> groups, bool all) : IObjectProcessor
    {
        private readonly TextCollector _text = new(Name);

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            _text.Add(lane, payload);
            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            var text = _text.ToString();
            var rows = ComponentRegex.Run(Name, regex, r =>
            {
                var result = new List<IReadOnlyList<string?>>();
                for (var match = r.Match(text); match.Success; match = match.NextMatch())
                {
                    result.Add(groups.Select(g => match.Groups[g] is { Success: true } group ? group.Value : null).ToList());
                    if (!all)
                    {
                        break;
                    }
                }

                return result;
            });
            await output.EmitAsync(LaneNames.Table, new TablePayload(groups, rows), cancellationToken).ConfigureAwait(false);
        }
    }
}
