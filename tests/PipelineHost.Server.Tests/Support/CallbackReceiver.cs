using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PipelineHost.Server.Tests.Support;

/// <summary>
/// A callback receiver on a real Kestrel socket on 127.0.0.1: records every POST (headers and exact body bytes)
/// and answers with the next scripted status code, 200 once the script is used up.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private readonly ConcurrentQueue<Received> _all = new();

    private CallbackReceiver(IEnumerable<int> script)
    {
        _script = new ConcurrentQueue<int>(script);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var received = new Received(
                context.Request.Path + context.Request.QueryString,
                context.Request.ContentType,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray());
            _all.Enqueue(received);
            _received.Writer.TryWrite(received);
            return Results.StatusCode(_script.TryDequeue(out var code) ? code : 200);
        });
    }

    public static async Task<CallbackReceiver> StartAsync(params int[] script)
    {
        var receiver = new CallbackReceiver(script);
        await receiver._app.StartAsync().WaitAsync(TestTimeouts.Default);
        return receiver;
    }

    /// <summary>The receiver's address with <paramref name="pathAndQuery"/>.</summary>
    public string Url(string pathAndQuery) =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + pathAndQuery;

    public IReadOnlyList<Received> Requests => [.. _all];

    public async Task<Received> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        return await _received.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string PathAndQuery, string? ContentType, Dictionary<string, string> Headers, byte[] Body);
}
