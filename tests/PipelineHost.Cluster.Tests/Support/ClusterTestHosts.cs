using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Cluster.Tests.Support;

/// <summary>Servers of one test cluster, in this process (real Kestrel and a real Orleans silo each) or as processes.</summary>
public static class ClusterTestHosts
{
    /// <summary>Starts an in-process host joined to the cluster of <paramref name="database"/>, on ports of its own.</summary>
    public static Task<TestServer> StartAsync(TestDatabase database) =>
        TestServer.StartAsync(kestrel: true, options: o => o with
        {
            ClusterConnectionString = database.ConnectionString,
            ClusterId = database.Name,
            ClusterAdvertise = "127.0.0.1",
            ClusterSiloPort = FreePort(),
            ClusterGatewayPort = FreePort(),
        });

    /// <summary>The command-line arguments joining a host process to the cluster of <paramref name="database"/>.</summary>
    public static string[] ProcessArguments(TestDatabase database) =>
        ["--cluster", database.ConnectionString, "--cluster-id", database.Name, "--advertise", "127.0.0.1",
         "--silo-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--gateway-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>GET /status's hosts.</summary>
    public static async Task<JsonArray> HostsAsync(HttpClient http)
    {
        var (_, _, body) = await http.SendRawAsync(HttpMethod.Get, "/status", $"Bearer {TestServer.ApiKey}");
        return JsonNode.Parse(body)!["data"]!["hosts"]!.AsArray();
    }

    /// <summary>Asks GET /status until <paramref name="condition"/> holds of its hosts (or the test timeout passes).</summary>
    public static async Task<JsonArray> WaitForHostsAsync(HttpClient http, Func<JsonArray, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var hosts = await HostsAsync(http);
            if (condition(hosts))
            {
                return hosts;
            }

            // A condition of another process's membership: nothing to await but the next look.
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }

    public static int Count(JsonArray hosts, string state) => hosts.Count(h => h!["state"]!.GetValue<string>() == state);
}
