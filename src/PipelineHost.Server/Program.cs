using System.Net.Sockets;
using PipelineHost.Server.Hosting;

try
{
    await PipelineHostApp.Build(args).RunAsync().ConfigureAwait(false);
    return 0;
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"pipelinehost: {ex.Message}").ConfigureAwait(false);
    return 2;
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
