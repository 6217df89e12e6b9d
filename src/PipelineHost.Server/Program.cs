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
