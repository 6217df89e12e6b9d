using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Spans of one task across both processes: the host's task, launch and object spans (heard by a listener here),
/// and the worker's component spans (the worker appends them to the file PIPELINEHOST_WORKER_TRACE_FILE names).
/// In the serial collection: the listener and the variable are process-wide.
/// </summary>
[Collection(nameof(MetricsExportTests))]
public class TracingTests
{
    [Fact]
    public async Task A_task_span_parents_its_launch_and_object_spans_and_the_workers_component_spans_descend_from_the_object()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var traceFile = Path.Combine(Path.GetTempPath(), $"pipelinehost-spans-{Guid.NewGuid():N}.jsonl");
        Environment.SetEnvironmentVariable("PIPELINEHOST_WORKER_TRACE_FILE", traceFile);
        try
        {
            await using var server = await TestServer.StartAsync();
            await using var client = await server.ConnectAsync();
            var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
            Assert.True((await client.SendAsync(token, "hello spans")).Success);
            await client.RequestAsync("terminate", new() { ["token"] = token });
            var final = await client.WaitForStateAsync(token, 6);
            var taskId = final["id"]!.GetValue<string>(); // random, independent of the token

            var task = Assert.Single(spans, s => s.OperationName == PipelineTracing.TaskSpan && (string?)s.GetTagItem("pipelinehost.task.id") == taskId);
            var launch = Assert.Single(spans, s => s.OperationName == PipelineTracing.LaunchSpan && s.ParentSpanId == task.SpanId);
            var item = Assert.Single(spans, s => s.OperationName == PipelineTracing.ObjectSpan && s.ParentSpanId == task.SpanId);
            Assert.Equal(task.TraceId, launch.TraceId);
            Assert.Equal(task.TraceId, item.TraceId);
            Assert.Equal("Cancelled", task.GetTagItem("pipelinehost.task.state"));
            Assert.DoesNotContain(spans.SelectMany(s => s.Tags), tag => tag.Value?.Contains(token, StringComparison.Ordinal) == true);

            var workerSpans = (await File.ReadAllLinesAsync(traceFile))
                .Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(s => s["traceId"]!.GetValue<string>() == task.TraceId.ToHexString())
                .ToList();
            Assert.Equal(["response_1", "webhook_1"], workerSpans.Select(s => s["component"]!.GetValue<string>()).Order());
            Assert.All(workerSpans, s =>
            {
                Assert.Equal(PipelineTracing.ComponentSpan, s["name"]!.GetValue<string>());
                Assert.Equal(item.SpanId.ToHexString(), s["parentSpanId"]!.GetValue<string>());
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("PIPELINEHOST_WORKER_TRACE_FILE", null);
            File.Delete(traceFile);
        }
    }
}
