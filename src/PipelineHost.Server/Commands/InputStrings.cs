using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Server.Commands;

/// <summary>
/// Checks on client strings that reach the file system or a process: a NUL character cannot be part of a path or a
/// command line (the OS would cut the string there or refuse it), so it is refused where it enters, naming where it was.
/// </summary>
public static class InputStrings
{
    /// <summary>Refuses a NUL in any string or property name of <paramref name="node"/>.</summary>
    /// <param name="node">The tree to check (a pipeline).</param>
    /// <param name="path">The name of the tree for the message (<c>pipeline</c>).</param>
    /// <exception cref="CommandException">A string holds a NUL.</exception>
    public static void EnsureNoNul(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (name.Contains('\0', StringComparison.Ordinal))
                    {
                        throw Nul(path);
                    }

                    EnsureNoNul(value, $"{path}.{name}");
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    EnsureNoNul(array[i], $"{path}[{i}]");
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Contains('\0', StringComparison.Ordinal):
                throw Nul(path);
        }
    }

    /// <summary>Refuses a NUL in the string argument <paramref name="name"/>.</summary>
    /// <exception cref="CommandException">It holds one.</exception>
    public static string? EnsureNoNul(string? value, string name) =>
        value is not null && value.Contains('\0', StringComparison.Ordinal) ? throw Nul(name) : value;

    private static CommandException Nul(string path) => new($"'{path}' contains a NUL character, which no path or command may hold.");
}
