using PipelineHost.Server.Hosting;

if (ServerHelp.IsRequested(args))
{
    await Console.Out.WriteLineAsync(ServerHelp.Text).ConfigureAwait(false);
    return 0;
}

try
{
    await PipelineHostApp.Build(args).RunAsync().ConfigureAwait(false);
    return 0;
}
catch (ArgumentException ex)
{
    // A usage error, as the CLI's: exit 2 with one line.
    await Console.Error.WriteLineAsync($"pipelinehost: {ex.Message.TrimEnd('.')} (see --help)").ConfigureAwait(false);
    return 2;
}
