using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PipelineHost.Worker;

// stdout carries protocol frames; anything a component prints must go to stderr instead.
var stdout = OpenChannel(1, PipeDirection.Out, Console.OpenStandardOutput);
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

await using var worker = new WorkerSession(OpenChannel(0, PipeDirection.In, Console.OpenStandardInput), stdout);
return await worker.RunAsync(stop.Token).ConfigureAwait(false);

// The host talks to the worker over anonymous pipes. As a pipe stream their async reads and writes wait in the
// runtime's I/O poller; the console streams would block a thread-pool thread for every read and hop to another
// for every write and flush. Anything else (a terminal, a file) keeps the console stream.
static Stream OpenChannel(int fd, PipeDirection direction, Func<Stream> console)
{
    try
    {
        return new AnonymousPipeClientStream(direction, new SafePipeHandle(fd, ownsHandle: false));
    }
    catch (IOException)
    {
        return console();
    }
}
