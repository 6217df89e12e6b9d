using System.Reflection;
using System.Text.Json.Nodes;

namespace PipelineHost.Server.Hosting;

/// <summary>Facts about this server process: its version and when it started.</summary>
public sealed class ServerInfo(TimeProvider time)
{
    /// <summary>The protocol revision this server speaks (bumped on incompatible changes).</summary>
    public const int ProtocolVersion = 1;

    /// <summary>The product version.</summary>
    public string Version { get; } =
        typeof(ServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>When the server started.</summary>
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>The version object of <c>rrext_public_probe</c> and <c>GET /version</c>.</summary>
    public JsonObject VersionObject() => new()
    {
        ["name"] = "PipelineHost",
        ["version"] = Version,
        ["protocol"] = ProtocolVersion,
        ["runtime"] = Environment.Version.ToString(),
        ["compatibility"] = "rocketride",
    };
}
