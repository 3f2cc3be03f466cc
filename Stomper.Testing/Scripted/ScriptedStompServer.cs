using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// An in-memory STOMP server behind <see cref="ITransport"/> for unit tests on a hand-stepped
/// loop: give <see cref="Transport"/> to <see cref="StomperOptions.Transport"/> (or a
/// cluster's options) and the client talks to it with no socket at all.
/// </summary>
/// <remarks>
/// <para>By default it behaves as a small correct broker: connects succeed, CONNECT gets
/// CONNECTED (version and heart-beat from <see cref="Options"/>), and every frame that asks
/// for a receipt gets its RECEIPT, including the SUBSCRIBE, UNSUBSCRIBE and DISCONNECT
/// receipts the client asks for by itself; after every ERROR it closes, as the STOMP
/// specification requires (<see cref="CloseAfterError"/>). It routes nothing: messages arrive only when
/// the test pushes them (<see cref="ScriptedConnection.PushMessage"/>).</para>
/// <para>Everything happens in loop passes, as over a socket: a connect completes, an
/// answer arrives, only when the test runs the loop (<c>loop.RunPending()</c>, or
/// <see cref="LoopStepping.Advance"/> to let time pass too). Nothing here is thread-safe:
/// use it on the thread that runs the loop.</para>
/// <para>One server serves any number of host:port pairs (<see cref="Node"/>), so a
/// cluster's failover can be tested by killing one node.</para>
/// </remarks>
public sealed class ScriptedStompServer
{
    private readonly List<ScriptedConnection> _connections = [];
    private readonly List<ScriptedFrame> _received = [];
    private readonly Dictionary<(string Host, int Port), ScriptedNode> _nodes = [];
    private long _sessions;
    private long _messageIds;

    /// <summary>A server that answers as <paramref name="options"/> say (defaults: STOMP 1.0 to 1.2, no heart-beats).</summary>
    public ScriptedStompServer(ScriptedServerOptions? options = null)
    {
        Options = options ?? new ScriptedServerOptions();
        Transport = loop => NewConnection(loop);
    }

    /// <summary>How CONNECT is answered.</summary>
    public ScriptedServerOptions Options { get; }

    /// <summary>
    /// The transport factory to hand to <see cref="StomperOptions.Transport"/>: every call
    /// is a new connection of this server (<see cref="Connections"/>).
    /// </summary>
    public Func<Loop, ITransport> Transport { get; }

    /// <summary>What happens to frames that ask for a receipt from now on (default: answered at once).</summary>
    public ReceiptMode Receipts { get; set; } = ReceiptMode.Answer;

    /// <summary>
    /// Whether the server closes its side right after every ERROR it sends, by
    /// <see cref="ReceiptMode.Error"/> or <see cref="ScriptedConnection.PushError"/> (default:
    /// true). The STOMP specification says a server MUST close just after an ERROR, and
    /// ActiveMQ and RabbitMQ do for a refused login or an error they hold fatal. Set it to
    /// false for a broker that keeps the session after refusing one command, as ActiveMQ
    /// does for a non-fatal protocol error and RabbitMQ for a frame that fails its checks.
    /// The ERRORs that end a session whatever this says (no common version, a malformed
    /// frame) are still followed by end-of-file.
    /// </summary>
    public bool CloseAfterError { get; set; } = true;

    /// <summary>
    /// Called for every frame a client sends, after it is recorded and before the default
    /// answer; return true to skip the default (say, to answer CONNECT with an ERROR through
    /// <see cref="ScriptedConnection.PushError"/>). Null: the default for every frame.
    /// </summary>
    public Func<ScriptedConnection, Frame, bool>? OnFrame { get; set; }

    /// <summary>Every connection made, to any node, in order.</summary>
    public IReadOnlyList<ScriptedConnection> Connections => _connections;

    /// <summary>The newest connection.</summary>
    /// <exception cref="InvalidOperationException">No client has made one yet.</exception>
    public ScriptedConnection Connection => _connections.Count > 0
        ? _connections[^1]
        : throw new InvalidOperationException("No client has connected to the scripted server yet");

    /// <summary>Every frame received on any connection, in order.</summary>
    public IReadOnlyList<ScriptedFrame> Received => _received;

    /// <summary>The frames of one command (e.g. <c>ACK</c>) received on any connection, in order.</summary>
    public IReadOnlyList<Frame> ReceivedBy(string command) =>
        _received.Where(r => r.Command == command).Select(r => r.Frame).ToArray();

    /// <summary>
    /// The node for <paramref name="host"/>:<paramref name="port"/>, made on first use so a
    /// test can set its <see cref="ScriptedNode.Mode"/> before any client connects.
    /// </summary>
    public ScriptedNode Node(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!_nodes.TryGetValue((host, port), out var node))
        {
            node = new ScriptedNode(host, port);
            _nodes.Add((host, port), node);
        }

        return node;
    }

    /// <summary>Answers every receipt held by <see cref="ReceiptMode.Hold"/>, on every connection, in the order they were due.</summary>
    public void ReleaseReceipts()
    {
        foreach (var connection in _connections)
        {
            connection.ReleaseReceipts();
        }
    }

    internal string NextSession() => $"session-{++_sessions}";

    internal string NextMessageId() => $"m-{++_messageIds}";

    internal void Record(ScriptedFrame frame) => _received.Add(frame);

    private ITransport NewConnection(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var connection = new ScriptedConnection(this, loop, _connections.Count);
        _connections.Add(connection);
        return Options.Tls is { } tls ? new ScriptedTlsBridge(loop, connection, tls) : connection;
    }
}
