using System.Security.Cryptography;
using System.Text;

namespace PipelineHost.Server.Auth;

/// <summary>
/// The server's API keys. Compared in constant time over their SHA-256 digests, so neither a key's content
/// nor its length leaks through timing.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly byte[][] _digests;

    /// <summary>Creates a store accepting <paramref name="keys"/>; at least one is required.</summary>
    public ApiKeyStore(IEnumerable<string> keys)
    {
        _digests = keys.Where(k => k.Length > 0).Select(Digest).ToArray();
        if (_digests.Length == 0)
        {
            throw new ArgumentException("At least one API key is required.", nameof(keys));
        }
    }

    /// <summary>True when <paramref name="candidate"/> is one of the keys.</summary>
    public bool IsValid(string candidate)
    {
        var digest = Digest(candidate);
        var match = false;

        // No early exit: every key is compared every time.
        foreach (var known in _digests)
        {
            match |= CryptographicOperations.FixedTimeEquals(known, digest);
        }

        return match;
    }

    /// <summary>
    /// The configured keys, or the key kept in <paramref name="dataDirectory"/>, generating and storing one on
    /// first start. <paramref name="generated"/> is the new key when one was made (for the one-time banner).
    /// </summary>
    public static IReadOnlyList<string> LoadOrCreate(IReadOnlyList<string> configured, string dataDirectory, out string? generated, out string keyFile)
    {
        keyFile = Path.Combine(dataDirectory, "api-key");
        generated = null;
        if (configured.Count > 0)
        {
            return configured;
        }

        if (File.Exists(keyFile))
        {
            var stored = File.ReadAllLines(keyFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (stored.Count > 0)
            {
                return stored;
            }
        }

        Directory.CreateDirectory(dataDirectory);
        generated = "ph_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Readable by the owner only: it is a credential.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(keyFile, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.WriteLine(generated);
        }

        return [generated];
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
