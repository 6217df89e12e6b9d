using System.Security.Cryptography;

namespace PipelineHost.Engine.Tasks;

/// <summary>Who a task is: its credentials, its pipeline identity and its owner.</summary>
/// <param name="Token">The private token: full control of the task.</param>
/// <param name="PublicKey">The public key: sending data only.</param>
/// <param name="ProjectId">The pipeline's <c>project_id</c>.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Provider">The source component's provider.</param>
/// <param name="Name">The status <c>name</c>.</param>
/// <param name="UserId">The owner.</param>
public sealed record TaskIdentity(string Token, string PublicKey, string ProjectId, string Source, string Provider, string Name, string UserId)
{
    /// <summary>
    /// The public short id: 8 random hex digits, a dot, the source. Independent of the tokens, so it tells nothing
    /// about them and a caller-chosen token cannot shape it.
    /// </summary>
    public string Id { get; init; } = $"{NewShortId()}.{Source}";

    /// <summary>
    /// The internal key: 32 random hex digits naming the task's folder under <c>&lt;data&gt;/tasks/</c>. Never a
    /// token (caller-chosen tokens like <c>a.b</c> and <c>a_b</c> must not share a folder, and a path must not
    /// carry a credential); not shown to clients.
    /// </summary>
    public string Key { get; init; } = NewKey();

    /// <summary>A new random first part of <see cref="Id"/>: 8 hex digits.</summary>
    public static string NewShortId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>A new random internal key.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A new random private token: <c>tk_</c> and 32 hex digits (128 bits).</summary>
    public static string NewToken() => "tk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A new random public key: <c>pk_</c> and 32 hex digits.</summary>
    public static string NewPublicKey() => "pk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The first 8 characters of <paramref name="token"/> after a <c>tk_</c>/<c>pk_</c> prefix (legacy folder names only).</summary>
    internal static string ShortToken(string token)
    {
        var bare = token.StartsWith("tk_", StringComparison.Ordinal) || token.StartsWith("pk_", StringComparison.Ordinal) ? token[3..] : token;
        return bare.Length > 8 ? bare[..8] : bare;
    }
}
