namespace PipelineHost.Engine.Tasks;

/// <summary>
/// How far along a task is and when it should end (issue 20): the recent completion rate, an exponentially
/// weighted mean (and variance) of objects finished per second, from which <see cref="Estimate"/> derives the
/// percentage, the expected end and how much to trust it. Not thread-safe: the task uses it under its lock.
/// </summary>
internal sealed class TaskProgress
{
    /// <summary>The rate's memory: a sample's weight halves every <c>TimeConstant × ln 2</c> (about 7 s).</summary>
    public static readonly TimeSpan TimeConstant = TimeSpan.FromSeconds(10);

    /// <summary>Count changes closer together than this are pooled into one sample (instant rates over a few ms are noise).</summary>
    public static readonly TimeSpan MinSampleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Samples needed before the estimate is trusted fully (fewer scale the confidence down).</summary>
    private const int TrustedSamples = 5;

    private DateTimeOffset? _lastAt;
    private long _lastDone;
    private double _rate;
    private double _variance;
    private int _samples;

    /// <summary>Records that <paramref name="done"/> objects (completed and failed) were finished at <paramref name="at"/>.</summary>
    public void Observe(long done, DateTimeOffset at)
    {
        if (_lastAt is not { } last)
        {
            (_lastAt, _lastDone) = (at, done);
            return;
        }

        var elapsed = at - last;
        if (elapsed < MinSampleInterval || done < _lastDone)
        {
            return;
        }

        Add((done - _lastDone) / elapsed.TotalSeconds, elapsed);
        (_lastAt, _lastDone) = (at, done);
    }

    /// <summary>
    /// The figures at <paramref name="now"/>: <paramref name="total"/> null (an open-ended source) gives the rate only;
    /// a stall since the last change counts as a sample of zero, so a stuck task's rate falls and its ETA recedes.
    /// </summary>
    public ProgressEstimate Estimate(long done, long? total, bool ended, DateTimeOffset now)
    {
        var (rate, variance, samples) = (_rate, _variance, _samples);
        if (!ended && _lastAt is { } last && now - last >= MinSampleInterval && done == _lastDone && samples > 0)
        {
            (rate, variance) = Updated(rate, variance, 0, now - last);
        }

        double? percent = total is > 0 ? Math.Round(Math.Min(100.0, done * 100.0 / total.Value), 1) : total == 0 ? 100 : null;
        if (ended || samples == 0)
        {
            return new ProgressEstimate(percent, null, null, null);
        }

        DateTimeOffset? eta = null;
        double? confidence = null;
        if (total is { } known && rate > 1e-9)
        {
            var remaining = Math.Max(0, known - done);
            eta = now + TimeSpan.FromSeconds(Math.Min(remaining / rate, TimeSpan.FromDays(3650).TotalSeconds));
            var spread = Math.Sqrt(Math.Max(0, variance)) / rate; // coefficient of variation of the recent rate
            confidence = Math.Round(Math.Clamp(1 - spread, 0, 1) * Math.Min(1.0, samples / (double)TrustedSamples), 2);
        }

        return new ProgressEstimate(percent, eta, confidence, Math.Round(rate, 2));
    }

    private void Add(double sample, TimeSpan elapsed)
    {
        if (_samples == 0)
        {
            (_rate, _variance) = (sample, 0);
        }
        else
        {
            (_rate, _variance) = Updated(_rate, _variance, sample, elapsed);
        }

        _samples++;
    }

    // The exponentially weighted mean and variance, with a weight for the time the sample spans.
    private static (double Rate, double Variance) Updated(double rate, double variance, double sample, TimeSpan elapsed)
    {
        var alpha = 1 - Math.Exp(-elapsed.TotalSeconds / TimeConstant.TotalSeconds);
        var difference = sample - rate;
        var increment = alpha * difference;
        return (rate + increment, (1 - alpha) * (variance + difference * increment));
    }
}

/// <summary>What <see cref="TaskProgress.Estimate"/> says.</summary>
/// <param name="Percent">0–100 (one decimal) of the known total; null when the source does not know its total.</param>
/// <param name="Eta">When the task should have finished every object; null without a known total or a rate yet.</param>
/// <param name="EtaConfidence">0–1: low with few samples or an unsteady rate; null when there is no <paramref name="Eta"/>.</param>
/// <param name="RecentRate">Objects finished per second recently (exponentially weighted); null before a first sample and once ended.</param>
internal readonly record struct ProgressEstimate(double? Percent, DateTimeOffset? Eta, double? EtaConfidence, double? RecentRate);
