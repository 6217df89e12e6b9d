using PipelineHost.Client.Tests.Support;

namespace PipelineHost.Client.Tests;

/// <summary>Issue 20 through the SDK against a real server: waiting for a change, starting once.</summary>
public class SdkTrustTests
{
    [Fact]
    public async Task An_idempotency_key_hands_back_the_first_task_instead_of_starting_another()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync(new PipelineHostClientOptions { ClientName = "xunit" });
        var pipeline = TestPipelines.Echo();
        var options = new UseOptions { IdempotencyKey = "sdk-order-7" };

        var first = await client.UseAsync(pipeline, options).WaitAsync(TestTimeouts.Default);
        var again = await client.UseAsync(pipeline, options).WaitAsync(TestTimeouts.Default);

        Assert.Equal((first.Token, first.Id, false), (again.Token, again.Id, first.Replayed));
        Assert.True(again.Replayed);
    }

    [Fact]
    public async Task Wait_for_change_returns_at_the_next_status_change_and_at_once_for_an_ended_task()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync(new PipelineHostClientOptions { ClientName = "xunit" });
        var task = await client.UseAsync(TestPipelines.Echo()).WaitAsync(TestTimeouts.Default);
        var seen = await client.GetTaskStatusAsync(task.Token).WaitAsync(TestTimeouts.Default);

        var waiting = client.WaitForChangeAsync(task.Token, seen.Version);
        await client.TerminateAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var changed = await waiting.WaitAsync(TestTimeouts.Default);
        var final = await client.GetTaskStatusAsync(task.Token).WaitAsync(TestTimeouts.Default);
        var afterEnd = await client.WaitForChangeAsync(task.Token, final.Version).WaitAsync(TestTimeouts.Default);
        var unknown = await Assert.ThrowsAsync<PipelineHostException>(() => client.WaitForChangeAsync("tk_never_issued", 0)).WaitAsync(TestTimeouts.Default);

        Assert.True(seen.Version > 0);
        Assert.True(changed.Version > seen.Version);
        Assert.Equal((true, final.Version), (afterEnd.Completed, afterEnd.Version));
        Assert.Equal("GET /task", unknown.Command);
    }
}
