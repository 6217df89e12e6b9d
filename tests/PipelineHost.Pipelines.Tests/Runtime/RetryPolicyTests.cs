using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Pipelines.Tests.Runtime;

public class RetryPolicyTests
{
    [Fact]
    public void A_full_policy_is_read_and_omitted_fields_take_their_defaults()
    {
        var full = RetryPolicy.Parse(JsonNode.Parse("""{"maxRetries":3,"backoff":"fixed","delayMs":250}"""), "Argument 'retry'", out var fullError);
        var minimal = RetryPolicy.Parse(JsonNode.Parse("""{"maxRetries":2}"""), "Argument 'retry'", out var minimalError);
        var absent = RetryPolicy.Parse(null, "Argument 'retry'", out var absentError);

        Assert.Null(fullError);
        Assert.Equal(new RetryPolicy(3, RetryBackoff.Fixed, 250), full);
        Assert.Null(minimalError);
        Assert.Equal(new RetryPolicy(2, RetryBackoff.Exponential, RetryPolicy.DefaultDelayMs), minimal);
        Assert.Null(absent);
        Assert.Null(absentError);
    }

    [Theory]
    [InlineData("""{"maxRetries":101}""", "Argument 'retry': 'maxRetries' must be an integer from 0 to 100")]
    [InlineData("""{"maxRetries":-1}""", "Argument 'retry': 'maxRetries' must be an integer from 0 to 100")]
    [InlineData("""{"maxRetries":1.5}""", "Argument 'retry': 'maxRetries' must be an integer from 0 to 100")]
    [InlineData("""{"backoff":"fixed"}""", "Argument 'retry': 'maxRetries' must be an integer from 0 to 100")]
    [InlineData("""{"maxRetries":1,"delayMs":3600001}""", "Argument 'retry': 'delayMs' must be an integer from 0 to 3600000")]
    [InlineData("""{"maxRetries":1,"delayMs":"5"}""", "Argument 'retry': 'delayMs' must be an integer from 0 to 3600000")]
    [InlineData("""{"maxRetries":1,"backoff":"linear"}""", "Argument 'retry': 'backoff' must be \"exponential\" or \"fixed\"")]
    [InlineData("""{"maxRetries":1,"retries":2}""", "Argument 'retry': unknown field 'retries' (expected maxRetries, backoff, delayMs)")]
    [InlineData("""3""", "Argument 'retry' must be an object {maxRetries, backoff, delayMs}")]
    public void An_invalid_policy_is_refused_with_a_message_that_says_what_is_wrong(string json, string expected)
    {
        var policy = RetryPolicy.Parse(JsonNode.Parse(json), "Argument 'retry'", out var error);

        Assert.Null(policy);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Fixed_backoff_waits_the_same_and_exponential_doubles_up_to_the_one_hour_cap()
    {
        var fixedPolicy = new RetryPolicy(5, RetryBackoff.Fixed, 500);
        var exponential = new RetryPolicy(100, RetryBackoff.Exponential, 1000);

        Assert.All(Enumerable.Range(1, 5), n => Assert.Equal(TimeSpan.FromMilliseconds(500), fixedPolicy.DelayBefore(n)));
        Assert.Equal(
            new[] { 1000.0, 2000, 4000, 8000 },
            Enumerable.Range(1, 4).Select(n => exponential.DelayBefore(n).TotalMilliseconds).ToArray());
        Assert.Equal(TimeSpan.FromHours(1), exponential.DelayBefore(13)); // 1 s × 4096 > 1 h
        Assert.Equal(TimeSpan.FromHours(1), exponential.DelayBefore(100));
        Assert.Equal(TimeSpan.Zero, new RetryPolicy(3, RetryBackoff.Exponential, 0).DelayBefore(50));
    }

    [Fact]
    public void The_validator_reads_the_pipeline_and_component_policies_and_reports_bad_ones_per_component()
    {
        var validator = new PipelineValidator(ComponentCatalog.CreateDefault());
        var good = validator.Validate(Pipeline(
            """{"maxRetries":2,"backoff":"fixed","delayMs":10}""",
            """{"maxRetries":5}"""));
        var bad = validator.Validate(Pipeline("""{"maxRetries":200}""", """{"maxRetries":1,"backoff":"sometimes"}"""));

        Assert.True(good.IsValid, string.Join("; ", good.Errors.Select(e => e.Message)));
        Assert.Equal(new RetryPolicy(2, RetryBackoff.Fixed, 10), good.Definition!.Retry);
        Assert.Equal(new RetryPolicy(5, RetryBackoff.Exponential, 1000), good.Definition.Components.Single(c => c.Id == "text_1").Retry);
        Assert.Null(good.Definition.SourceComponent.Retry);
        Assert.Equal(
            new[] { "Component \"text_1\": 'retry': 'backoff' must be \"exponential\" or \"fixed\"", "Pipeline 'retry': 'maxRetries' must be an integer from 0 to 100" },
            bad.Errors.Select(e => e.Message).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("text_1", bad.Errors.Single(e => e.Message.StartsWith("Component", StringComparison.Ordinal)).ComponentId);
    }

    private static JsonObject Pipeline(string taskRetry, string componentRetry) => new()
    {
        ["retry"] = JsonNode.Parse(taskRetry),
        ["source"] = "webhook_1",
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject() },
            new JsonObject
            {
                ["id"] = "text_1",
                ["provider"] = "response",
                ["config"] = new JsonObject(),
                ["retry"] = JsonNode.Parse(componentRetry),
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
            }),
    };
}
