using EventLoop;

namespace Stomper.Cluster;

/// <summary>
/// The constructor parameters of AnyEvent::Stomper::Cluster, in PascalCase. Everything
/// but <see cref="Nodes"/> and the <c>on_node_*</c>/<c>on_error</c> callbacks is handed
/// to every node's client.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The nodes (<c>nodes =&gt; [...]</c>); required and not empty. Repeated host:port pairs count once.</summary>
    public IReadOnlyList<ClusterNode>? Nodes { get; init; }

    /// <summary><c>login</c>, the same for every node.</summary>
    public string? Login { get; init; }

    /// <summary><c>passcode</c>, the same for every node.</summary>
    public string? Passcode { get; init; }

    /// <summary><c>vhost</c>, the same for every node.</summary>
    public string? Vhost { get; init; }

    /// <summary><c>heartbeat =&gt; [cx, cy]</c> in milliseconds.</summary>
    public int[]? Heartbeat { get; init; }

    /// <summary><c>connection_timeout</c> in seconds (fractional).</summary>
    public double? ConnectionTimeout { get; init; }

    /// <summary><c>reconnect_interval</c> in seconds (fractional).</summary>
    public double? ReconnectInterval { get; init; }

    /// <summary>
    /// Beyond the original: how long a command waits for its RECEIPT on a node (each node
    /// it is tried on starts afresh), <see cref="StomperOptions.ReceiptTimeout"/> of every
    /// node. When it passes, the node is given up as a failed one: the next node becomes
    /// active, and SEND, SUBSCRIBE and BEGIN run again there (the subscriptions the node
    /// held are made again), as after any node failure; the code is
    /// <see cref="ErrorCode.E_RECEIPT_TIMEDOUT"/>. Null (the default): none, as in the original.
    /// </summary>
    public TimeSpan? ReceiptTimeout { get; init; }

    /// <summary><c>handle_params</c>.</summary>
    public HandleParams? HandleParams { get; init; }

    /// <summary>
    /// The upgrade request of the nodes named by a <see cref="ClusterNode.Url"/>: subprotocols,
    /// HTTP headers and the hook that refreshes them before each connect (called with the
    /// node's URL). Not in the original; see docs/websocket.md.
    /// </summary>
    public WebSocketOptions? WebSocket { get; init; }

    /// <summary><c>default_headers</c>.</summary>
    public IReadOnlyDictionary<string, string>? DefaultHeaders { get; init; }

    /// <summary><c>command_headers</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? CommandHeaders { get; init; }

    /// <summary><c>on_node_connect =&gt; sub { my ($host, $port) = @_; }</c>.</summary>
    public Action<string, int>? OnNodeConnect { get; init; }

    /// <summary><c>on_node_disconnect =&gt; sub { my ($host, $port) = @_; }</c>.</summary>
    public Action<string, int>? OnNodeDisconnect { get; init; }

    /// <summary><c>on_node_error =&gt; sub { my ($err, $host, $port) = @_; }</c>: errors of a whole node, and command errors on a node.</summary>
    public Action<StompError, string, int>? OnNodeError { get; init; }

    /// <summary><c>on_error</c>: command errors of commands without a callback. Default: the message and a newline to standard error.</summary>
    public Action<StompError>? OnError { get; init; }

    /// <summary>
    /// How the cluster keeps trying through an outage (beyond the original): null (the
    /// default) keeps the original's rule, where a SEND, SUBSCRIBE or BEGIN is tried once
    /// on each node in a row and then fails, and a subscription lost on every node is never
    /// made again. With a policy, a round of failed nodes is followed by a backoff with full
    /// jitter, live subscriptions wait through any outage and are made again on the first
    /// node that comes back, and commands issued meanwhile wait for it; only
    /// <see cref="Stomper.ReconnectPolicy.MaxAttempts"/> (if set) ends the waiting. The
    /// jitter is drawn from <see cref="Random"/>. See docs/cluster.md.
    /// </summary>
    public ReconnectPolicy? ReconnectPolicy { get; init; }

    /// <summary>
    /// Runs before each node's every login with what its CONNECT will carry (the node is
    /// <see cref="ConnectHeaders.Host"/> and <see cref="ConnectHeaders.Port"/>), to change
    /// login, passcode, vhost or add headers; see <see cref="StomperOptions.OnBeforeConnect"/>.
    /// A hook that throws fails that node's login with <see cref="ErrorCode.E_CANT_CONN"/>,
    /// which counts as the node failing.
    /// </summary>
    public Action<ConnectHeaders>? OnBeforeConnect { get; init; }

    /// <summary>
    /// Beyond the original: the send journal. Null (the default) is the original's
    /// behaviour. With it, every SEND carries a receipt (one the call did not ask for is
    /// added, and its callback still gets no frame) and a unique
    /// <see cref="SendJournalOptions.IdHeader"/>; it stays journaled until its RECEIPT and
    /// runs again on the next node when its node fails, after the subscriptions are made
    /// again there; its callback hears once, the final outcome, and an error says whether
    /// the SEND <see cref="StompError.MayHaveBeenDelivered"/>. A SEND that finds the journal
    /// full fails with <see cref="ErrorCode.E_SEND_JOURNAL_FULL"/>. See docs/cluster.md,
    /// "Delivery guarantees".
    /// </summary>
    public SendJournalOptions? SendJournal { get; init; }

    /// <summary>Limits on what a server may send.</summary>
    public FrameLimits? FrameLimits { get; init; }

    /// <summary>
    /// Where the client's logs go (connects, CONNECTED, disconnects with their reason,
    /// failovers, retries, refused commands; see docs/observability.md). Beyond the original,
    /// which only had <c>on_error</c>. Null: no logs, and errors still reach
    /// <c>OnError</c> or standard error exactly as in the original.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Makes the client's <see cref="System.Diagnostics.Metrics.Meter"/> (a host's
    /// <c>IMeterFactory</c> from dependency injection). Null: a meter of the process's own,
    /// which costs nothing while no listener subscribes to it.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>The loop to run on (default <see cref="AE.CurrentLoop"/>: <see cref="Loop.Default"/> unless a test opened <see cref="AE.UseLoop"/>).</summary>
    public Loop? Loop { get; init; }

    /// <summary>Makes each node's byte stream; the seam for mocked sockets.</summary>
    public Func<Loop, ITransport>? Transport { get; init; }

    /// <summary>Picks the first active node (default <see cref="System.Random.Shared"/>); tests pass a seeded one.</summary>
    public Random? Random { get; init; }

    /// <summary>Makes each node's client from its options (default: a <see cref="StomperClient"/>); tests pass Moq mocks.</summary>
    public Func<StomperOptions, IStomperClient>? NodeFactory { get; init; }
}
