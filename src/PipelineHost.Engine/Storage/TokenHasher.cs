using System.Security.Cryptography;
using System.Text;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// How the durable store keeps task credentials: as HMAC-SHA256 keyed hashes, never in clear, so whoever reads the
/// database (a backup, a copied file) learns no <c>tk_</c> or <c>pk_</c> that works on the server. The key is 32
/// random bytes generated at first start into <c>&lt;data-dir&gt;/</c><see cref="FileName"/> (owner-only); a lookup
/// hashes the presented credential and compares hashes. Never logged.
/// </summary>
public sealed class TokenHasher
{
    /// <summary>The file the key is kept in, inside the data folder.</summary>
    public const string FileName = "token-hash-key";

    private readonly byte[] _key;

    /// <summary>A hasher with the key <paramref name="key"/> (at least 32 bytes).</summary>
    public TokenHasher(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The token hash key must be at least 32 bytes.", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    /// <summary>The keyed hash of <paramref name="token"/>: 64 lowercase hex digits.</summary>
    public string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>
    /// The key kept in <paramref name="dataDirectory"/>, generating and storing it (owner-only, 64 hex characters)
    /// when there is none yet. A lost key makes every stored credential unmatchable: the history still lists the
    /// tasks, but no token finds them.
    /// </summary>
    public static TokenHasher LoadOrCreate(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var file = Path.Combine(dataDirectory, FileName);
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim() is { Length: 64 } stored && stored.All(char.IsAsciiHexDigit)
                ? new TokenHasher(Convert.FromHexString(stored))
                : throw new InvalidOperationException($"The token hash key file '{FileName}' in the data folder is damaged: it must hold 64 hex digits.");
        }

        PrivateFiles.CreateDirectory(dataDirectory);
        var key = RandomNumberGenerator.GetBytes(32);

        // Written aside and renamed, so two stores opening one folder at once never read a half-written key.
        var temporary = file + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + ".tmp";
        PrivateFiles.Write(temporary, Convert.ToHexStringLower(key) + "\n");
        try
        {
            File.Move(temporary, file, overwrite: false);
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(temporary);
            return LoadOrCreate(dataDirectory);
        }

        return new TokenHasher(key);
    }
}
