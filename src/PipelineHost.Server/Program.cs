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
    await Console.Error.WriteLineAsync($"pipelinehost: {ex.Message.TrimEnd('.')} (see --help)").ConfigureAwait(false);
    return 1;
}
