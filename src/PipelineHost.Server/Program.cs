using System.Net.Sockets;
using PipelineHost.Server.Hosting;

if (ServerHelp.IsRequested(args))
{
    await Console.Out.WriteLineAsync(ServerHelp.Text).ConfigureAwait(false);
    return 0;
}

if (args is [OpenApiExport.CommandName, ..])
{
    return await OpenApiExport.RunAsync(args).ConfigureAwait(false);
}

try
{
    await PipelineHostApp.Build(args).RunAsync().ConfigureAwait(false);
    return 0;
}
catch (ArgumentException ex)
{
    // A bad option or setting: one line naming it, and exit 1 so a service manager sees a failed start.
    await Console.Error.WriteLineAsync($"pipelinehost: {ex.Message}").ConfigureAwait(false);
    return 1;
}
catch (StartupException ex)
{
    // One line an operator can act on, no stack trace.
    await Console.Error.WriteLineAsync($"pipelinehost: {ex.Message}").ConfigureAwait(false);
    return 1;
}
catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    // Kestrel's own bind failure, when the port was taken after the start-up check.
    await Console.Error.WriteLineAsync("pipelinehost: The port is already in use; stop the program using it or choose another --port.").ConfigureAwait(false);
    return 1;
}
