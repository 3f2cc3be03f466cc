namespace Stomper.Testing;

/// <summary>How a <see cref="ScriptedNode"/> treats a TCP connect.</summary>
public enum NodeMode
{
    /// <summary>The connect succeeds in the next loop pass (the default).</summary>
    Accept,

    /// <summary>The connect fails in the next loop pass with <see cref="ScriptedNode.RefusalReason"/>, as a port nobody listens on.</summary>
    Refuse,

    /// <summary>The connect never completes, as against a dead host: the client's connect timeout decides.</summary>
    Hang,
}
