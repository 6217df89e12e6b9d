using System.Runtime.InteropServices;
using PipelineHost.Worker;

// stdout carries protocol frames; anything a component prints must go to stderr instead.
var stdout = Console.OpenStandardOutput();
Console.SetOut(Console.Error);

// Never disposed: signal handlers may fire while the process is already on its way out.
var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

await using var worker = new WorkerSession(Console.OpenStandardInput(), stdout);
return await worker.RunAsync(stop.Token).ConfigureAwait(false);
