using EventLoop;
using static Stomper.ErrorCode;

namespace Stomper.Cluster;

/// <summary>
/// The cluster client, the twin of AnyEvent::Stomper::Cluster: one lazy
/// <see cref="StomperClient"/> per node, every command sent to the active node, and
/// failover to the next node when the active one fails.
/// </summary>
/// <remarks>
/// <para>The first active node is chosen at random. A node error whose code is neither
/// <see cref="E_OPRN_ERROR"/> nor <see cref="E_CONN_CLOSED_BY_CLIENT"/> makes the next
/// node active. A failed SEND, SUBSCRIBE or BEGIN (with any other code) runs again on the
/// now-active node, until every node has failed it once in a row; each failure is
/// reported to <c>on_node_error</c> (the command's, else the cluster's) first. A
/// subscription lost with its node therefore comes back on the next one: its
/// <c>on_receipt</c> is called again with the new RECEIPT, and messages delivered
/// before that and not acknowledged may be delivered again (brokers mark them
/// <c>redelivered:true</c>).</para>
/// <para>Where the original falls short: ACK/NACK of a message go to the node that
/// delivered it, not to whichever node is active; the cluster stays usable after
/// <see cref="ForceDisconnect"/>; the retry count starts afresh after a success.</para>
/// </remarks>
public sealed class StomperCluster : CommandMethods, IDisposable
{
    private static readonly Action<StompError> s_defaultOnError = err => Console.Error.WriteLine(err.Message);

    private readonly NodeRing _ring;
    private readonly Stack<ClusterCommand> _spareCommands = new();
    private readonly Dictionary<string, ClusterCommand> _subscriptions = new(StringComparer.Ordinal);
    private Action<StompError> _onError = s_defaultOnError;

    /// <summary>Creates the cluster client; no node connects before the first command.</summary>
    /// <exception cref="ArgumentException"><c>Nodes not specified</c>, <c>Nodes must be specified as array reference</c> (a null entry), <c>Specified empty list of nodes</c>, or a node client's own argument error.</exception>
    public StomperCluster(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var nodes = options.Nodes ?? throw Errors.NodesNotSpecified();
        if (nodes.Any(n => n is null || string.IsNullOrEmpty(n.Host)))
        {
            throw Errors.NodesNotArray();
        }

        if (nodes.Count == 0)
        {
            throw Errors.NodesEmpty();
        }

        OnNodeConnect = options.OnNodeConnect;
        OnNodeDisconnect = options.OnNodeDisconnect;
        OnNodeError = options.OnNodeError;
        OnError = options.OnError;
        Loop = options.Loop ?? AE.CurrentLoop;
        var factory = options.NodeFactory ?? (o => new StomperClient(o));
        var clients = nodes.Distinct().Select(node => MakeNode(node, options, factory)).ToArray();
        _ring = new NodeRing(clients, (options.Random ?? Random.Shared).Next(clients.Length));
    }

    /// <summary>The loop the cluster runs on.</summary>
    public Loop Loop { get; }

    /// <summary><c>on_node_connect</c>, read and write.</summary>
    public Action<string, int>? OnNodeConnect { get; set; }

    /// <summary><c>on_node_disconnect</c>, read and write.</summary>
    public Action<string, int>? OnNodeDisconnect { get; set; }

    /// <summary><c>on_node_error</c>, read and write.</summary>
    public Action<StompError, string, int>? OnNodeError { get; set; }

    /// <summary><c>$cluster-&gt;on_error([$cb])</c>: read and write; null restores the default (standard error).</summary>
    public Action<StompError>? OnError
    {
        get => _onError;
        set => _onError = value ?? s_defaultOnError;
    }

    /// <summary>The node that commands go to now.</summary>
    public IStomperClient ActiveNode => _ring.Active;

    /// <summary>The node clients, one per distinct host:port, in the order given (<c>$cluster-&gt;nodes</c>).</summary>
    public IReadOnlyList<IStomperClient> Nodes() => _ring.All;

    /// <summary>
    /// Runs any command by name (<c>$cluster-&gt;execute('SEND', ...)</c>) on the active
    /// node (ACK/NACK of a message: on the node that delivered it). SEND, SUBSCRIBE and
    /// BEGIN are repeated on the next node when their node fails.
    /// </summary>
    public override void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(parameters);
        var name = ClientCommandName(command);
        var cluster = Rent(name, parameters, onReceipt ?? parameters.OnReceipt);
        if (name == StompCommands.Subscribe)
        {
            cluster.SubscriptionKey = SubscriptionKey(parameters);
            _subscriptions[cluster.SubscriptionKey] = cluster;
        }
        else if (name == StompCommands.Unsubscribe && _subscriptions.TryGetValue(SubscriptionKey(parameters), out var subscription))
        {
            // From now on a loss of this subscription is the user's news, not a reason
            // to make it again on the next node.
            subscription.Unsubscribing = true;
            cluster.SubscriptionKey = subscription.SubscriptionKey;
        }

        Run(cluster);
    }

    /// <summary>
    /// Closes every node's connection at once; all uncompleted operations are aborted
    /// with <see cref="E_CONN_CLOSED_BY_CLIENT"/>. Unlike the original, the cluster stays
    /// usable: the next command connects again.
    /// </summary>
    public void ForceDisconnect()
    {
        foreach (var node in _ring.All)
        {
            node.ForceDisconnect();
        }
    }

    /// <summary>Destroys every node client.</summary>
    public void Dispose()
    {
        foreach (var node in _ring.All)
        {
            node.Dispose();
        }
    }

    private static bool IsNodeFailure(StompError error) => error.Code is not (E_OPRN_ERROR or E_CONN_CLOSED_BY_CLIENT);

    private IStomperClient MakeNode(ClusterNode node, ClusterOptions options, Func<StomperOptions, IStomperClient> factory)
    {
        IStomperClient? client = null;
        client = factory(new StomperOptions
        {
            Host = node.Host,
            Port = node.Port,
            Login = options.Login,
            Passcode = options.Passcode,
            Vhost = options.Vhost,
            Heartbeat = options.Heartbeat,
            ConnectionTimeout = options.ConnectionTimeout,
            ReconnectInterval = options.ReconnectInterval,
            HandleParams = options.HandleParams,
            DefaultHeaders = options.DefaultHeaders,
            CommandHeaders = options.CommandHeaders,
            FrameLimits = options.FrameLimits,
            Loop = options.Loop,
            Transport = options.Transport,
            Lazy = true,
            OnConnect = () => OnNodeConnect?.Invoke(node.Host, node.Port),
            OnDisconnect = () => OnNodeDisconnect?.Invoke(node.Host, node.Port),
            OnError = err =>
            {
                try
                {
                    OnNodeError?.Invoke(err, node.Host, node.Port);
                }
                finally
                {
                    // Whatever the user's callback does, the dead node must not stay
                    // active: the node's aborted commands retry on the active node.
                    if (IsNodeFailure(err))
                    {
                        _ring.FailOver(client!);
                    }
                }
            },
        });
        return client;
    }

    private void Run(ClusterCommand command)
    {
        var parameters = command.Parameters;
        var node = command.Name is StompCommands.Ack or StompCommands.Nack
            && parameters.Message?.DeliveredBy is IStomperClient deliverer
            ? deliverer
            : _ring.Active;
        command.Node = node;
        var nodeParameters = parameters;
        if (command.Name == StompCommands.Subscribe && parameters.OnMessage is { } onMessage)
        {
            // Stamp each message with the node that delivered it, so that its ACK goes
            // there: one wrapper per subscription, nothing per message.
            nodeParameters = parameters.CopyWithOnMessage(frame =>
            {
                frame.DeliveredBy = node;
                onMessage(frame);
            });
        }

        node.Execute(command.Name, nodeParameters, command.OnNodeReply);
    }

    /// <summary>A command object for one call: reused once a previous call has finished, so a stream of SENDs allocates none.</summary>
    private ClusterCommand Rent(string name, CommandParams parameters, Action<Frame?, StompError?>? callback)
    {
        var command = _spareCommands.TryPop(out var spare) ? spare : new ClusterCommand(this);
        command.Start(name, parameters, callback);
        return command;
    }

    /// <summary>Drops a subscription that is over (unsubscribed, or lost for good), unless a newer one took its key.</summary>
    private void Forget(ClusterCommand subscription)
    {
        if (subscription.SubscriptionKey is { } key && _subscriptions.TryGetValue(key, out var current) && ReferenceEquals(current, subscription))
        {
            _subscriptions.Remove(key);
        }
    }

    /// <summary>How the node clients key a subscription: its <c>id</c>, else its <c>destination</c>.</summary>
    private static string SubscriptionKey(CommandParams parameters) => parameters["id"] ?? parameters["destination"] ?? string.Empty;

    private static string ClientCommandName(string command) => command switch
    {
        // The usual spellings need no new string; anything else is upper-cased and left
        // to the node client to accept or refuse.
        StompCommands.Send or StompCommands.Subscribe or StompCommands.Unsubscribe or StompCommands.Ack or StompCommands.Nack
            or StompCommands.Begin or StompCommands.Commit or StompCommands.Abort or StompCommands.Disconnect => command,
        _ => command.ToUpperInvariant(),
    };

    /// <summary>One cluster command across its attempts on the nodes.</summary>
    private sealed class ClusterCommand
    {
        private readonly StomperCluster _cluster;
        private Action<Frame?, StompError?>? _callback;
        private int _failures;

        public ClusterCommand(StomperCluster cluster)
        {
            _cluster = cluster;
            OnNodeReply = Reply;
        }

        public string Name { get; private set; } = string.Empty;

        public CommandParams Parameters { get; private set; } = null!;

        public IStomperClient Node { get; set; } = null!;

        /// <summary>The callback handed to the node, made once per object.</summary>
        public Action<Frame?, StompError?> OnNodeReply { get; }

        /// <summary>For SUBSCRIBE and UNSUBSCRIBE: the subscription's id (or destination).</summary>
        public string? SubscriptionKey { get; set; }

        /// <summary>For SUBSCRIBE: an UNSUBSCRIBE of it has been issued.</summary>
        public bool Unsubscribing { get; set; }

        public void Start(string name, CommandParams parameters, Action<Frame?, StompError?>? callback)
        {
            Name = name;
            Parameters = parameters;
            _callback = callback;
            _failures = 0;
            SubscriptionKey = null;
            Unsubscribing = false;
        }

        private void Reply(Frame? receipt, StompError? error)
        {
            if (error is null)
            {
                _failures = 0;
                if (Name == StompCommands.Unsubscribe && SubscriptionKey is not null
                    && _cluster._subscriptions.TryGetValue(SubscriptionKey, out var subscription))
                {
                    _cluster.Forget(subscription);
                }

                Finish()?.Invoke(receipt, null);
                return;
            }

            var onNodeError = Parameters.OnNodeError ?? _cluster.OnNodeError;
            try
            {
                onNodeError?.Invoke(error, Node.Host, Node.Port);
            }
            finally
            {
                // The node will not call again: a throwing on_node_error must still let
                // the command run again or be answered.
                RetryOrFail(error);
            }
        }

        private void RetryOrFail(StompError error)
        {
            if (Name is StompCommands.Send or StompCommands.Subscribe or StompCommands.Begin
                && !Unsubscribing && IsNodeFailure(error) && ++_failures < _cluster._ring.Count)
            {
                _cluster.Run(this);
                return;
            }

            if (Name == StompCommands.Subscribe)
            {
                _cluster.Forget(this);
            }

            if (Finish() is { } callback)
            {
                callback(null, error);
            }
            else
            {
                _cluster._onError(error);
            }
        }

        /// <summary>
        /// Hands back the callback and, unless this is a subscription (whose callback
        /// hears of every re-subscription), returns the object for reuse first, so that a
        /// command issued from the callback can take it.
        /// </summary>
        private Action<Frame?, StompError?>? Finish()
        {
            var callback = _callback;
            if (Name != StompCommands.Subscribe)
            {
                _callback = null;
                Parameters = null!;
                Node = null!;
                _cluster._spareCommands.Push(this);
            }

            return callback;
        }
    }
}
