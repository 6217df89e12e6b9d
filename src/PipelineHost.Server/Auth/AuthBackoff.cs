using System.Globalization;
using System.Net;

namespace PipelineHost.Server.Auth;

/// <summary>
/// Makes API-key guessing slow: after <c>failuresBeforeBackoff</c> wrong keys from one address, that address must
/// wait before its next attempt, 1 s after the first extra failure and doubling with each further one up to
/// <see cref="MaxDelay"/>. An attempt during the wait is refused without being checked (a right key too), so the
/// rate of guesses is bounded whatever the client does. A right key clears the address's record.
/// </summary>
/// <remarks>
/// Only API-key failures count: task credentials (<c>tk_</c>, <c>pk_</c>) carry 128 random bits, and a client polling
/// a task that has since left the history must not lock itself out. Records of addresses that have been quiet
/// longer than <see cref="Forget"/> are dropped, so a spray of addresses cannot grow memory without bound.
/// </remarks>
public sealed class AuthBackoff(TimeProvider time, int failuresBeforeBackoff)
{
    /// <summary>The longest wait.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(5);

    /// <summary>How long an address's failures are remembered after its last attempt.</summary>
    public static readonly TimeSpan Forget = TimeSpan.FromMinutes(15);

    private const int SweepAbove = 10_000;

    private sealed class Record
    {
        public int Failures { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        public DateTimeOffset NotBefore { get; set; }
    }

    private readonly Dictionary<IPAddress, Record> _records = [];
    private readonly Lock _lock = new();

    /// <summary>True, with the time left, when <paramref name="address"/> must wait before its next attempt.</summary>
    public bool IsWaiting(IPAddress address, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_records.TryGetValue(address, out var record) && record.NotBefore > now)
            {
                retryAfter = record.NotBefore - now;
                return true;
            }

            retryAfter = TimeSpan.Zero;
            return false;
        }
    }

    /// <summary>Counts a wrong API key from <paramref name="address"/>.</summary>
    public void Failed(IPAddress address)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_records.Count > SweepAbove)
            {
                Sweep(now);
            }

            if (!_records.TryGetValue(address, out var record) || now - record.LastFailure > Forget)
            {
                record = new Record();
                _records[address] = record;
            }

            record.Failures++;
            record.LastFailure = now;
            var extra = record.Failures - failuresBeforeBackoff;
            if (extra > 0)
            {
                var seconds = Math.Min(MaxDelay.TotalSeconds, Math.Pow(2, Math.Min(extra - 1, 30)));
                record.NotBefore = now + TimeSpan.FromSeconds(seconds);
            }
        }
    }

    /// <summary>A right key: the address starts afresh.</summary>
    public void Succeeded(IPAddress address)
    {
        lock (_lock)
        {
            _records.Remove(address);
        }
    }

    /// <summary>The client-facing refusal.</summary>
    public static string WaitMessage(TimeSpan retryAfter) => string.Create(
        CultureInfo.InvariantCulture,
        $"Too many failed authentication attempts from this address; try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s");

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, record) in _records.ToArray())
        {
            if (now - record.LastFailure > Forget && record.NotBefore <= now)
            {
                _records.Remove(address);
            }
        }
    }
}
