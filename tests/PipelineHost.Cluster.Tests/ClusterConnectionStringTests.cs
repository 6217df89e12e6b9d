using Npgsql;

namespace PipelineHost.Cluster.Tests;

public sealed class ClusterConnectionStringTests
{
    [Fact]
    public void A_postgres_uri_becomes_an_npgsql_connection_string()
    {
        var converted = ClusterConnectionString.Normalize("postgres://ph%40ops:s%3Acret@db.example:6432/pipelines?sslmode=require", out var error);

        Assert.Null(error);
        var builder = new NpgsqlConnectionStringBuilder(converted);
        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6432, builder.Port);
        Assert.Equal("ph@ops", builder.Username);
        Assert.Equal("s:cret", builder.Password);
        Assert.Equal("pipelines", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
    }

    [Fact]
    public void A_postgresql_uri_without_port_or_password_keeps_the_defaults()
    {
        var builder = new NpgsqlConnectionStringBuilder(ClusterConnectionString.Normalize("postgresql://ph@localhost/pipelines", out _));

        Assert.Equal(5432, builder.Port);
        Assert.Equal("ph", builder.Username);
        Assert.Null(builder.Password);
    }

    [Fact]
    public void A_connection_string_is_kept()
    {
        var builder = new NpgsqlConnectionStringBuilder(ClusterConnectionString.Normalize("Host=10.0.0.5;Database=ph;Username=ph;Password=x", out _));

        Assert.Equal("10.0.0.5", builder.Host);
        Assert.Equal("ph", builder.Database);
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("Database=ph;Password=hunter2")]
    [InlineData("Hots=x;Password=hunter2")]
    public void A_bad_value_is_refused(string value)
    {
        Assert.Null(ClusterConnectionString.Normalize(value, out var error));
        Assert.NotNull(error);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_description_names_host_port_and_database_but_never_the_password()
    {
        var description = ClusterConnectionString.Describe("Host=db;Port=6432;Database=ph;Username=u;Password=hunter2");

        Assert.Equal("db:6432/ph", description);
    }
}
