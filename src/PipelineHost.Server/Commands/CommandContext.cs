using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Protocol;
using PipelineHost.Server.Connections;

namespace PipelineHost.Server.Commands;

/// <summary>One request being handled: the connection, the request and typed access to its arguments.</summary>
public sealed class CommandContext(IClientConnection connection, RequestMessage request)
{
    /// <summary>The connection the request came on.</summary>
    public IClientConnection Connection { get; } = connection;

    /// <summary>The request.</summary>
    public RequestMessage Request { get; } = request;

    /// <summary>The request's arguments (empty when it had none).</summary>
    public JsonObject Arguments { get; } = request.Arguments ?? [];

    /// <summary>The authenticated caller; handlers of authenticated commands can rely on it.</summary>
    public Caller Caller => Connection.Caller ?? throw new CommandException("Not authenticated");

    /// <summary><c>arguments.token</c>, else the legacy root-level <c>token</c>.</summary>
    public string? Token => GetString("token") ?? Request.RootToken;

    /// <summary>A string argument; null when absent or JSON null.</summary>
    public string? GetString(string name)
    {
        var node = Arguments[name];
        return node switch
        {
            null => null,
            // No argument is a text to process: a NUL in one is a path or name cut short, refused here once.
            JsonValue v when v.GetValueKind() == JsonValueKind.String => InputStrings.EnsureNoNul(v.GetValue<string>(), $"Argument '{name}'"),
            _ => throw new CommandException($"Argument '{name}' must be a string."),
        };
    }

    /// <summary>A required non-empty string argument.</summary>
    public string RequireString(string name) =>
        GetString(name) is { Length: > 0 } value ? value : throw new CommandException($"Argument '{name}' is required.");

    /// <summary>
    /// An integer argument within [<paramref name="min"/>, <paramref name="max"/>]. Only a JSON number is an integer:
    /// a numeric string (<c>"4"</c>) is refused rather than silently coerced, as every other type mismatch is.
    /// </summary>
    public long? GetInteger(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        var node = Arguments[name];
        if (node is null)
        {
            return null;
        }

        long value;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l))
        {
            value = l;
        }
        else if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue(out double dbl) && dbl == Math.Floor(dbl) && Math.Abs(dbl) < 9e15)
        {
            value = (long)dbl;
        }
        else
        {
            throw new CommandException(IntegerExpected(name, min, max));
        }

        return value < min || value > max ? throw new CommandException(IntegerExpected(name, min, max)) : value;
    }

    /// <summary>"Argument 'threads' must be an integer from 1 to 64" (the bounds only when there are some).</summary>
    public static string IntegerExpected(string name, long min, long max) => (min, max) switch
    {
        (long.MinValue, long.MaxValue) => $"Argument '{name}' must be an integer.",
        (_, long.MaxValue) or (_, int.MaxValue) => string.Create(CultureInfo.InvariantCulture, $"Argument '{name}' must be an integer of at least {min}."),
        _ => string.Create(CultureInfo.InvariantCulture, $"Argument '{name}' must be an integer from {min} to {max}."),
    };

    /// <summary>A boolean argument; absent means <paramref name="fallback"/>.</summary>
    public bool GetBool(string name, bool fallback = false) => Arguments[name]?.GetValueKind() switch
    {
        null or JsonValueKind.Null => fallback,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new CommandException($"Argument '{name}' must be true or false."),
    };

    /// <summary>An object argument; null when absent.</summary>
    public JsonObject? GetObject(string name) => Arguments[name] switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw new CommandException($"Argument '{name}' must be an object."),
    };
}
