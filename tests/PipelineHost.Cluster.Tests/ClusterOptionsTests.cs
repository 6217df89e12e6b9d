using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Cluster.Tests;

public sealed class ClusterOptionsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    [Fact]
    public void Without_cluster_options_the_server_is_single_host()
    {
        Assert.Null(ServerOptionsParser.Parse([], NoEnvironment).Cluster);
    }

    [Fact]
    public void The_cluster_options_are_read_from_the_command_line()
    {
        var cluster = ServerOptionsParser.Parse(
            ["--cluster", "postgres://ph:pw@db:5433/ph", "--cluster-id", "prod", "--advertise", "10.1.2.3", "--silo-port", "12000", "--gateway-port", "31000", "--cluster-probe-timeout", "2"],
            NoEnvironment).Cluster!;

        Assert.Equal("Host=db;Port=5433;Username=ph;Password=pw;Database=ph", cluster.ConnectionString);
        Assert.Equal("prod", cluster.ClusterId);
        Assert.Equal("10.1.2.3", cluster.AdvertiseAddress);
        Assert.Equal(12000, cluster.SiloPort);
        Assert.Equal(31000, cluster.GatewayPort);
        Assert.Equal(TimeSpan.FromSeconds(2), cluster.ProbeTimeout);
    }

    [Fact]
    public void The_cluster_database_may_come_from_the_environment_with_the_documented_defaults()
    {
        var cluster = ServerOptionsParser.Parse([], new Dictionary<string, string?> { ["PIPELINEHOST_CLUSTER"] = "Host=db;Database=ph" }).Cluster!;

        Assert.Equal("Host=db;Database=ph", cluster.ConnectionString);
        Assert.Equal("pipelinehost", cluster.ClusterId);
        Assert.Equal(11111, cluster.SiloPort);
        Assert.Equal(30000, cluster.GatewayPort);
    }

    [Fact]
    public void A_bad_cluster_value_is_refused_without_repeating_it()
    {
        var ex = Assert.Throws<ArgumentException>(() => ServerOptionsParser.Parse(["--cluster", "Password=hunter2;Nonsense=1"], NoEnvironment));

        Assert.StartsWith("Option '--cluster' must be an Npgsql connection string", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_cannot_reach_the_cluster_database_exits_1_with_one_line_naming_the_database_and_the_reason()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            // Port 1 on loopback: nothing listens, the connection is refused at once.
            var (exitCode, _, stderr) = await HostProcess.RunToExitAsync(
                [.. HostProcess.DefaultArguments(dataDirectory), "--cluster", "postgres://ph:hunter2@127.0.0.1:1/pipelines"]);

            Assert.Equal(1, exitCode);
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith("pipelinehost: Cannot use the cluster database at 127.0.0.1:1/pipelines: ", line, StringComparison.Ordinal);
            Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
