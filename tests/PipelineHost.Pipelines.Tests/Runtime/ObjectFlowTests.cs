using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Plugins;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;
using PipelineHost.TestComponents;

namespace PipelineHost.Pipelines.Tests.Runtime;

/// <summary>The runtime's flow hook (status <c>pipeflow</c>, <c>apaevt_flow</c>) and the components' SSE channel.</summary>
public sealed class ObjectFlowTests
{
    private static PipelineGraph Build(string json)
    {
        var catalog = ComponentCatalog.CreateDefault(new ComponentPlugins([new FaultProvider()], []));
        var validation = new PipelineValidator(catalog).Validate(JsonNode.Parse(json)!.AsObject());
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => e.Message)));
        return PipelineGraph.Build(validation.Definition!, catalog, new ComponentEnvironment());
    }

    private const string Echo = """
        {"components":[
          {"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},
          {"id":"upper_1","provider":"transform","config":{"operations":["uppercase"]},"input":[{"lane":"text","from":"webhook_1"}]},
          {"id":"response_1","provider":"response","config":{"sse":true},"input":[{"lane":"text","from":"upper_1"}]}],
         "source":"webhook_1"}
        """;

    [Fact]
    public async Task Enter_and_leave_nest_like_the_calls_so_the_stack_is_empty_between_writes()
    {
        var graph = Build(Echo);
        var flow = new RecordingFlow();
        var run = graph.Begin(new ObjectContext("a.txt", "text/plain", Guid.NewGuid().ToString()), new NoObserver(), flow);

        await run.WriteAsync(Encoding.UTF8.GetBytes("hi"), CancellationToken.None);
        var afterWrite = flow.Stack.ToList();
        await run.CloseAsync(CancellationToken.None);

        Assert.Equal(
            ["+webhook_1:tags", "+upper_1:text", "+response_1:text", "-response_1", "-upper_1", "-webhook_1"],
            flow.Calls.Take(6));
        Assert.Equal(["webhook_1", "upper_1", "response_1"], flow.DeepestStack);
        Assert.Empty(afterWrite);
        Assert.Empty(flow.Stack);
        Assert.Contains("+response_1:close", flow.Calls);
    }

    [Fact]
    public async Task A_response_with_sse_pushes_each_text_item_through_the_object_context()
    {
        var graph = Build(Echo);
        var sent = new List<(string Type, JsonObject? Data)>();
        var context = new ObjectContext("a.txt", "text/plain", Guid.NewGuid().ToString(), null, (type, data) => sent.Add((type, data)));
        var run = graph.Begin(context, new NoObserver());

        await run.WriteAsync(Encoding.UTF8.GetBytes("one"), CancellationToken.None);
        await run.WriteAsync(Encoding.UTF8.GetBytes("two"), CancellationToken.None);
        await run.CloseAsync(CancellationToken.None);

        Assert.Equal(["text", "text"], sent.Select(s => s.Type));
        Assert.Equal(["ONE", "TWO"], sent.Select(s => s.Data!["text"]!.GetValue<string>()));
        Assert.All(sent, s => Assert.Equal("text", s.Data!["lane"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_response_without_sse_sends_nothing_and_a_context_without_a_sink_drops_messages()
    {
        var graph = Build(Echo.Replace("\"sse\":true", "\"sse\":false", StringComparison.Ordinal));
        var sent = 0;
        var run = graph.Begin(new ObjectContext("a.txt", "text/plain", Guid.NewGuid().ToString(), null, (_, _) => sent++), new NoObserver());

        await run.WriteAsync(Encoding.UTF8.GetBytes("quiet"), CancellationToken.None);
        await run.CloseAsync(CancellationToken.None);
        new ObjectContext("b", "text/plain", "id").MonitorSse("ignored");

        Assert.Equal(0, sent);
    }

    private sealed class RecordingFlow : IObjectFlow
    {
        public List<string> Calls { get; } = [];

        public Stack<string> Stack { get; } = new();

        public List<string> DeepestStack { get; private set; } = [];

        public void Enter(string componentId, string? lane, LanePayload? payload)
        {
            Calls.Add($"+{componentId}:{lane ?? "close"}");
            Stack.Push(componentId);
            if (Stack.Count > DeepestStack.Count)
            {
                DeepestStack = Stack.Reverse().ToList();
            }
        }

        public void Leave(string componentId)
        {
            Calls.Add($"-{componentId}");
            Assert.Equal(componentId, Stack.Pop());
        }
    }

    private sealed class NoObserver : IRunObserver
    {
        public void Warn(string componentId, string message)
        {
        }

        public void Count(string counter, long amount)
        {
        }

        public void FileWritten(string name, long size, string contentType)
        {
        }
    }
}
