using System.Security.Cryptography;
using System.Text;

namespace PipelineHost.Engine.Callbacks;

/// <summary>
/// The key callbacks are signed with: HMAC-SHA256 over the exact body bytes, keyed with the UTF-8 bytes of the key
/// text. The text is the configured <see cref="CallbackOptions.SigningKey"/>, or one generated on first need and
/// kept in <c>&lt;data-dir&gt;/</c><see cref="FileName"/> (owner-only), so signatures stay verifiable across
/// restarts. Never logged.
/// </summary>
public sealed class CallbackSigningKey
{
    /// <summary>The file a generated key is kept in, inside the data folder.</summary>
    public const string FileName = "callback-signing-key";

    /// <summary>The signature header's value prefix.</summary>
    public const string SignaturePrefix = "sha256=";

    private readonly byte[] _key;

    /// <summary>A signer with the key text <paramref name="key"/>.</summary>
    public CallbackSigningKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of <paramref name="body"/>.</summary>
    public string Sign(ReadOnlySpan<byte> body) => SignaturePrefix + Convert.ToHexStringLower(HMACSHA256.HashData(_key, body));

    /// <summary>
    /// The configured key, else the one kept in <paramref name="dataDirectory"/>, generating and storing it (32
    /// random bytes as 64 hex characters) when there is none yet.
    /// </summary>
    public static CallbackSigningKey LoadOrCreate(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new CallbackSigningKey(configured);
        }

        var file = Path.Combine(dataDirectory, FileName);
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } stored)
        {
            return new CallbackSigningKey(stored);
        }

        Directory.CreateDirectory(dataDirectory);
        var generated = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Readable by the owner only: whoever has it can forge callbacks.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(file, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.WriteLine(generated);
        }

        return new CallbackSigningKey(generated);
    }
}
