using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Connections;

/// <summary>
/// The authentication state of one connection. <c>auth</c> and <c>deauth</c> run one at a time (the receive
/// loop awaits them), so plain fields suffice; readers on other threads see them through volatile reads.
/// </summary>
public sealed class ConnectionSession(Action onSignedIn, Action onSignedOut)
{
    private volatile Caller? _caller;

    /// <summary>The caller, or null when not authenticated.</summary>
    public Caller? Caller => _caller;

    /// <summary>Attempts so far, successful ones included.</summary>
    public int AuthAttempts { get; private set; }

    /// <summary>The client's name from its last <c>auth</c>.</summary>
    public string? ClientName { get; private set; }

    /// <summary>The client's version from its last <c>auth</c>.</summary>
    public string? ClientVersion { get; private set; }

    /// <summary>Counts an attempt and returns the new total.</summary>
    public int CountAttempt() => ++AuthAttempts;

    /// <summary>Marks the connection authenticated as <paramref name="caller"/>.</summary>
    public void SignIn(Caller caller, string? clientName, string? clientVersion)
    {
        var wasAnonymous = _caller is null;
        ClientName = clientName ?? ClientName;
        ClientVersion = clientVersion ?? ClientVersion;
        _caller = caller;
        if (wasAnonymous)
        {
            onSignedIn();
        }
    }

    /// <summary>Returns the connection to the unauthenticated state; the socket stays open.</summary>
    public void SignOut()
    {
        if (_caller is not null)
        {
            _caller = null;
            onSignedOut();
        }
    }
}
