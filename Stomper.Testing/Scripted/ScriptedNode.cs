namespace Stomper.Testing;

/// <summary>
/// One host:port of a <see cref="ScriptedStompServer"/>, so that one server stands for a
/// cluster's several brokers: each node keeps its own connections and can refuse or hang
/// new ones while the others carry on.
/// </summary>
public sealed class ScriptedNode
{
    private readonly List<ScriptedConnection> _connections = [];

    internal ScriptedNode(string host, int port)
    {
        Host = host;
        Port = port;
    }

    /// <summary>The host the client connects to, as given in its options.</summary>
    public string Host { get; }

    /// <summary>The port the client connects to.</summary>
    public int Port { get; }

    /// <summary>How new connects are treated from now on.</summary>
    public NodeMode Mode { get; set; } = NodeMode.Accept;

    /// <summary>The error text a refused connect reports (the system's text for ECONNREFUSED by default).</summary>
    public string RefusalReason { get; set; } = "Connection refused";

    /// <summary>Every connection made to this node, open or closed, in order.</summary>
    public IReadOnlyList<ScriptedConnection> Connections => _connections;

    /// <summary>The newest connection to this node.</summary>
    /// <exception cref="InvalidOperationException">No client has connected to this node yet.</exception>
    public ScriptedConnection Connection => _connections.Count > 0
        ? _connections[^1]
        : throw new InvalidOperationException($"No client has connected to {this} yet");

    /// <summary>
    /// Takes the node down as a broker that dies: every open connection meets end-of-file
    /// (after what was already pushed) and new connects are refused until <see cref="Revive"/>.
    /// </summary>
    public void Kill()
    {
        Mode = NodeMode.Refuse;
        foreach (var connection in _connections)
        {
            connection.PushEof();
        }
    }

    /// <summary>Accepts connects again after <see cref="Kill"/>.</summary>
    public void Revive() => Mode = NodeMode.Accept;

    /// <inheritdoc/>
    public override string ToString() => $"{Host}:{Port}";

    internal void Attach(ScriptedConnection connection) => _connections.Add(connection);
}
