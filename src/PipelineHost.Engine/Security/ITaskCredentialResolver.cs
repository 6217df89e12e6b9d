namespace PipelineHost.Engine.Security;

/// <summary>Turns a task credential (<c>tk_…</c> or <c>pk_…</c>) into a caller scoped to its task.</summary>
public interface ITaskCredentialResolver
{
    /// <summary>The caller for <paramref name="credential"/>, or null when no known task has it.</summary>
    Caller? Resolve(string credential);
}
