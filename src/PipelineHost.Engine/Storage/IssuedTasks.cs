using System.Security.Cryptography;
using System.Text;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// A task that has left the task history (<c>--history-retention</c>): kept under the hash of its token so its
/// holder is told "expired, ended at …" instead of "unknown" (issue 20). No token is kept.
/// </summary>
/// <param name="Id">The task's short id.</param>
/// <param name="UserId">Whose task it was.</param>
/// <param name="EndedAt">When it ended (unix seconds).</param>
/// <param name="ExpiredAt">When the history dropped it (unix seconds).</param>
public sealed record ExpiredTask(string Id, string UserId, double EndedAt, double ExpiredAt);

/// <summary>
/// The first task an <c>idempotencyKey</c> started for one user (issue 20): a repeat of the key with the same
/// pipeline within <see cref="Tasks.IdempotencyKeys.Window"/> gets this task again.
/// </summary>
/// <param name="UserId">Whose key it is: keys are scoped per credential's user.</param>
/// <param name="Key">The key as the client sent it.</param>
/// <param name="PipelineHash">SHA-256 of the pipeline as submitted (normalised), to tell a different pipeline.</param>
/// <param name="Token">The task it started.</param>
/// <param name="CreatedAt">When (unix seconds).</param>
/// <param name="PublicKey">The task's public key, chosen with the claim: the credential store keeps only its hash, and a replay gives it back.</param>
public sealed record IdempotencyRecord(string UserId, string Key, string PipelineHash, string Token, double CreatedAt, string? PublicKey = null);

/// <summary>The one hash for values kept only to be recognised (a token of an expired task, a pipeline).</summary>
public static class StoredHash
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes.</summary>
    public static string Of(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
