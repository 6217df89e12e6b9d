using System.Net.Sockets;
using Npgsql;

namespace PipelineHost.Cluster;

/// <summary>
/// The cluster's PostgreSQL database as the host sees it at start: reachable or not (with a reason an operator can
/// act on), and its schema brought to this host's version.
/// </summary>
public static class ClusterDatabase
{
    /// <summary>
    /// Connects, then creates or migrates the schema (<see cref="ClusterSchema"/>). Throws
    /// <see cref="ClusterUnavailableException"/>, whose message names the database and why it failed, when it cannot.
    /// </summary>
    public static async Task<int> PrepareAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await ClusterSchema.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
        {
            throw new ClusterUnavailableException(
                $"Cannot use the cluster database at {ClusterConnectionString.Describe(connectionString)}: {Reason(ex)}.", ex);
        }
    }

    /// <summary>The innermost useful message: the socket's or the server's, not Npgsql's wrapper text.</summary>
    internal static string Reason(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return pg.MessageText;
                case SocketException socket:
                    return socket.Message;
            }
        }

        return ex.Message.TrimEnd('.');
    }
}

/// <summary>The cluster database cannot be reached or prepared; the message is one line for the operator.</summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
