using PipelineHost.Protocol.Framing;

namespace PipelineHost.Server.Connections;

/// <summary>Every few seconds, lets <see cref="LargeMessageBuffers"/> give a finished burst's memory back.</summary>
internal sealed class LargeMessageTrimmer(LargeMessageBuffers buffers, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                buffers.TrimIfIdle();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
