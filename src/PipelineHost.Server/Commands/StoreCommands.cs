using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Server.Connections;

namespace PipelineHost.Server.Commands;

/// <summary>
/// <c>rrext_store</c>: the per-user file store (<see cref="FileStore"/>). Open handles belong to the connection
/// that opened them and are closed with it.
/// </summary>
internal sealed class StoreCommands(FileStore store) : ICommandModule
{
    private readonly ConcurrentDictionary<string, FileHandleTable> _tables = new(StringComparer.Ordinal);

    public void Register(CommandTable table) => table.Add(new CommandDefinition("rrext_store", HandleAsync, Permissions.Store));

    private async ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var user = context.Caller.UserId;
        var subcommand = context.GetString("subcommand");
        try
        {
            switch (subcommand)
            {
                case "fs_open":
                    var (handle, size) = Handles(context.Connection).Open(user, context.RequireString("path"), context.GetString("mode"));
                    var opened = new JsonObject { ["handle"] = handle };
                    if (size is { } s)
                    {
                        opened["size"] = s;
                    }

                    return CommandResult.Ok(opened);

                case "fs_read":
                    var offset = context.GetInteger("offset", 0) ?? 0;
                    var length = (int)(context.GetInteger("length", 0, FileHandleTable.MaxReadLength) ?? FileHandleTable.MaxReadLength);
                    var bytes = await Handles(context.Connection).ReadAsync(context.RequireString("handle"), offset, length, cancellationToken).ConfigureAwait(false);

                    // Always a data payload: an empty one is end of file.
                    return CommandResult.Ok(new JsonObject { ["size"] = bytes.Length }, bytes);

                case "fs_write":
                    var data = context.Request.Data ?? throw new CommandException("fs_write needs the bytes as the request's binary data.");
                    var written = await Handles(context.Connection).WriteAsync(context.RequireString("handle"), data, cancellationToken).ConfigureAwait(false);
                    return CommandResult.Ok(new JsonObject { ["bytesWritten"] = written });

                case "fs_close":
                    Handles(context.Connection).Close(context.RequireString("handle"));
                    return CommandResult.Ok(new JsonObject());

                case "fs_delete":
                    store.Delete(user, context.RequireString("path"));
                    return CommandResult.Ok(new JsonObject());

                case "fs_list_dir":
                    var entries = store.ListDirectory(user, context.GetString("path"));
                    return CommandResult.Ok(new JsonObject
                    {
                        ["entries"] = new JsonArray(entries.Select(e => (JsonNode)Describe(e)).ToArray()),
                        ["count"] = entries.Count,
                    });

                case "fs_mkdir":
                    store.CreateDirectory(user, context.RequireString("path"));
                    return CommandResult.Ok(new JsonObject());

                case "fs_rmdir":
                    store.RemoveDirectory(user, context.RequireString("path"), context.GetBool("recursive"));
                    return CommandResult.Ok(new JsonObject());

                case "fs_stat":
                    var entry = store.Stat(user, context.GetString("path") ?? throw new CommandException("Argument 'path' is required."));
                    if (entry is null)
                    {
                        return CommandResult.Ok(new JsonObject { ["exists"] = false });
                    }

                    var stat = new JsonObject { ["exists"] = true };
                    foreach (var (key, value) in Describe(entry).Where(p => p.Key != "name").ToList())
                    {
                        stat[key] = value?.DeepClone();
                    }

                    return CommandResult.Ok(stat);

                case "fs_rename":
                    store.Rename(user, context.RequireString("old_path"), context.RequireString("new_path"));
                    return CommandResult.Ok(new JsonObject());

                case null:
                    throw new CommandException("Argument 'subcommand' is required.");
                default:
                    throw new CommandException($"Unknown subcommand '{subcommand}' (expected fs_open, fs_read, fs_write, fs_close, fs_delete, fs_list_dir, fs_mkdir, fs_rmdir, fs_stat or fs_rename).");
            }
        }
        catch (FileStoreException ex)
        {
            throw new CommandException(ex.Message);
        }
    }

    private static JsonObject Describe(FileStoreEntry entry)
    {
        var json = new JsonObject { ["name"] = entry.Name, ["type"] = entry.IsDirectory ? "dir" : "file" };
        if (entry.Size is { } size)
        {
            json["size"] = size;
        }

        json["modified"] = entry.Modified;
        return json;
    }

    private FileHandleTable Handles(IClientConnection connection)
    {
        if (_tables.TryGetValue(connection.Id, out var existing))
        {
            return existing;
        }

        var table = new FileHandleTable(store);
        if (!_tables.TryAdd(connection.Id, table))
        {
            table.Dispose();
            return _tables[connection.Id];
        }

        connection.OnClose(() =>
        {
            if (_tables.TryRemove(connection.Id, out var closed))
            {
                closed.Dispose();
            }

            return ValueTask.CompletedTask;
        });
        return table;
    }
}
