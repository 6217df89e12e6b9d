using System.Globalization;
using Npgsql;

namespace PipelineHost.Cluster;

/// <summary>
/// Reads the <c>--cluster</c> value: an Npgsql connection string, or a <c>postgres://user:pw@host:port/db</c> URI
/// (what hosting providers hand out), which Npgsql does not parse and is converted here.
/// </summary>
public static class ClusterConnectionString
{
    /// <summary>The value as an Npgsql connection string; null when it is neither form (the message says why).</summary>
    public static string? Normalize(string value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        error = null;
        try
        {
            return value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUri(new Uri(value)).ConnectionString
                : new NpgsqlConnectionStringBuilder(value) is { Host.Length: > 0 } builder ? builder.ConnectionString : Fail("it names no Host", out error);
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException or FormatException or KeyNotFoundException)
        {
            // Never the value itself in the message: it may hold a password.
            error = ex is UriFormatException ? "it is not a valid postgres:// URI" : "it is not a valid PostgreSQL connection string";
            return null;
        }
    }

    /// <summary>Where the database is, for messages: <c>host:port/database</c>, never the user or password.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
    }

    private static NpgsqlConnectionStringBuilder FromUri(Uri uri)
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        // libpq-style query parameters map onto Npgsql keywords (sslmode=require -> SSL Mode=Require).
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0]).Replace('_', ' ')] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
        }

        return builder;
    }

    private static string? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }
}
