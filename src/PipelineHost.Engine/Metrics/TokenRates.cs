namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The billing rates that turn accumulated usage into tokens. Bindable from the configuration section
/// <see cref="SectionName"/> ("PipelineHost:TokenRates"), for example
/// <c>services.Configure&lt;TokenRates&gt;(configuration.GetSection(TokenRates.SectionName))</c> or
/// <c>configuration.GetSection(TokenRates.SectionName).Get&lt;TokenRates&gt;()</c>. Configured custom rates are
/// added to (or override) the default <c>pagesProcessed</c> rate.
/// </summary>
public sealed record TokenRates
{
    /// <summary>The configuration section the rates bind from.</summary>
    public const string SectionName = "PipelineHost:TokenRates";

    /// <summary>The name of the default custom counter: pages processed by the pipeline.</summary>
    public const string PagesProcessed = "pagesProcessed";

    /// <summary>Tokens per hour of one fully used CPU core.</summary>
    public double CpuUtilizationPerVcpuHour { get; init; } = 1020;

    /// <summary>Tokens per gigabyte-hour of resident memory.</summary>
    public double CpuMemoryPerGbHour { get; init; } = 100;

    /// <summary>Tokens per gigabyte-hour of GPU memory.</summary>
    public double GpuMemoryPerGbHour { get; init; } = 2140;

    /// <summary>Tokens per second of GPU inference, as timed by the worker (its "gpu" timer).</summary>
    public double GpuInferencePerSecond { get; init; } = 0.594;

    /// <summary>
    /// Tokens per unit of a custom counter reported by the worker, by counter name (ordinal, case-sensitive).
    /// Defaults to <c>{"pagesProcessed": 5.0}</c>. The dictionary is shared by copies made with <c>with</c>.
    /// </summary>
    public IDictionary<string, double> Custom { get; } =
        new Dictionary<string, double>(StringComparer.Ordinal) { [PagesProcessed] = 5.0 };
}
