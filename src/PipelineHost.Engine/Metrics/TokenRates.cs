using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The billing rates that turn accumulated usage into tokens, read from the configuration section
/// <see cref="SectionName"/> ("PipelineHost:TokenRates") by <see cref="FromConfiguration"/>: keys
/// <c>CpuUtilizationPerVcpuHour</c>, <c>CpuMemoryPerGbHour</c>, <c>GpuMemoryPerGbHour</c>,
/// <c>GpuInferencePerSecond</c> and <c>Custom:&lt;counter&gt;</c>. Configured custom rates are added to (or
/// override) the default <c>pagesProcessed</c> rate.
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

    /// <summary>
    /// The rates configured in section <see cref="SectionName"/> of <paramref name="configuration"/>; a rate not
    /// configured keeps its default. Strict, so that a typo cannot silently bill at the default rate.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown key, or a value that is not a finite, non-negative number; the message names the key.</exception>
    public static TokenRates FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var rates = new TokenRates();
        foreach (var child in section.GetChildren())
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "CPUUTILIZATIONPERVCPUHOUR": rates = rates with { CpuUtilizationPerVcpuHour = ReadRate(child) }; break;
                case "CPUMEMORYPERGBHOUR": rates = rates with { CpuMemoryPerGbHour = ReadRate(child) }; break;
                case "GPUMEMORYPERGBHOUR": rates = rates with { GpuMemoryPerGbHour = ReadRate(child) }; break;
                case "GPUINFERENCEPERSECOND": rates = rates with { GpuInferencePerSecond = ReadRate(child) }; break;
                case "CUSTOM":
                    foreach (var counter in child.GetChildren())
                    {
                        rates.Custom[counter.Key] = ReadRate(counter);
                    }

                    break;
                default:
                    throw new ArgumentException($"Unknown token rate '{child.Path}': the rates are CpuUtilizationPerVcpuHour, CpuMemoryPerGbHour, GpuMemoryPerGbHour, GpuInferencePerSecond and Custom:<counter>.");
            }
        }

        return rates;
    }

    /// <summary>Checks every rate; throws for the first that is not a finite, non-negative number.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative, infinite or NaN.</exception>
    public void Validate()
    {
        CheckRate(CpuUtilizationPerVcpuHour, nameof(CpuUtilizationPerVcpuHour));
        CheckRate(CpuMemoryPerGbHour, nameof(CpuMemoryPerGbHour));
        CheckRate(GpuMemoryPerGbHour, nameof(GpuMemoryPerGbHour));
        CheckRate(GpuInferencePerSecond, nameof(GpuInferencePerSecond));
        foreach (var (name, rate) in Custom)
        {
            CheckRate(rate, name);
        }
    }

    /// <summary>The one rule for a usable rate: finite and not negative.</summary>
    internal static double CheckRate(double rate, string name) =>
        double.IsFinite(rate) && rate >= 0
            ? rate
            : throw new ArgumentOutOfRangeException(nameof(TokenRates), rate, $"Token rate '{name}' must be a finite, non-negative number.");

    private static double ReadRate(IConfigurationSection value)
    {
        if (!double.TryParse(value.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
        {
            throw new ArgumentException($"Token rate '{value.Path}' is '{value.Value}', not a number.");
        }

        try
        {
            return CheckRate(rate, value.Path);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ArgumentException($"Token rate '{value.Path}' is {value.Value}: it must be a finite, non-negative number.");
        }
    }
}
