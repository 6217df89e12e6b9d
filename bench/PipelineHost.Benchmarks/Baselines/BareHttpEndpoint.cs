namespace PipelineHost.Benchmarks.Baselines;

/// <summary>The HTTP status baseline: GET /task answers fixed JSON bytes (the subject's own status response).</summary>
public sealed class BareHttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareHttpEndpoint(WebApplication app, Uri address, byte[] body)
    {
        _app = app;
        Address = address;
        Body = body;
    }

    public Uri Address { get; }

    public byte[] Body { get; }

    public static async Task<BareHttpEndpoint> StartAsync(byte[] body)
    {
        var (app, address) = await BareKestrel.StartAsync(app => app.MapGet("/task", (HttpContext context) =>
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        }));
        return new BareHttpEndpoint(app, address, body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
