using System.Runtime.ExceptionServices;
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
/// <see cref="E_OPRN_ERROR"/> nor <see cref="E_CONN_CLOSED_BY_CLIENT"/>, or (beyond the
/// original) an ERROR frame that answered no command and so ended the session, makes the next
/// node active before <c>on_node_error</c> hears of it, as in the original, so a command
/// issued from that callback goes to a live node. A failed SEND, SUBSCRIBE or BEGIN (with any other code, or aborted by such an ERROR) runs again on the
/// now-active node, until every node has failed it once in a row; each failure is
/// reported to <c>on_node_error</c> (the command's, else the cluster's) first. A
/// subscription lost with its node therefore comes back on the next one: its
/// <c>on_receipt</c> is called again with the new RECEIPT, and messages delivered
/// before that and not acknowledged may be delivered again (brokers mark them
/// <c>redelivered:true</c>).</para>
/// <para>Where the original falls short: ACK/NACK of a message go to the node that
/// delivered it, not to whichever node is active, and fail at once when that connection
/// has ended; the cluster stays usable after <see cref="ForceDisconnect"/>, which stops
/// every retry under way; <see cref="Dispose"/> is safe from any callback and answers
/// every pending command once; the retry count starts afresh after a success.</para>
/// <para>Beyond the original, <see cref="ClusterOptions.ReconnectPolicy"/> keeps live
/// subscriptions and new commands waiting through an outage of every node, with a backoff
/// with full jitter between rounds of the ring, and <see cref="ClusterOptions.OnBeforeConnect"/>
/// sets fresh credentials before each node's login.</para>
/// </remarks>
public sealed class StomperCluster : CommandMethods, IDisposable
{
    private const string ConstructorName = "The " + nameof(StomperCluster) + " constructor";
    private static readonly Action<StompError> s_defaultOnError = err => Console.Error.WriteLine(err.Message);

    /// <summary>The answer to the ACK of a dropped duplicate, which nobody awaits: if it fails, the broker redelivers and it is dropped again.</summary>
    private static readonly Action<Frame?, StompError?> s_ignoreAnswer = (_, _) => { };

    private readonly NodeRing _ring;
    private readonly IStomperClient[] _clients;
    private readonly Stack<ClusterCommand> _spareCommands = new();
    private readonly Dictionary<string, ClusterCommand> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<ClusterCommand> _pending = [];
    private readonly ClusterTelemetry _telemetry;
    private readonly SendJournal? _journal;
    private readonly string _idPrefix = string.Empty;
    private readonly string? _defaultSendReceipt;
    private readonly string? _defaultSubscribeAck;
    private readonly Action _announceRoom;

    /// <summary>Where each transaction's BEGIN went: its SENDs, COMMIT and ABORT go there, and fail once that connection has ended.</summary>
    private readonly Dictionary<string, NodeSession> _transactions = new(StringComparer.Ordinal);

    /// <summary>The size of <see cref="_transactions"/> at which the BEGIN that finds it so forgets the transactions of ended connections.</summary>
    private const int MaxLostTransactions = 1024;
    private int _transactionsPruneAt = MaxLostTransactions;
    private long _journalIds;
    private bool _roomAnnounced;
    private readonly RingBackoff? _backoff;
    private Action<StompError> _onError = s_defaultOnError;
    private int _deferring;
    private long _sequence;

    /// <summary>Creates the cluster client; no node connects before the first command.</summary>
    /// <exception cref="ArgumentException"><c>Nodes not specified</c>, <c>Nodes must be specified as array reference</c> (a null entry or an empty host), <c>Specified empty list of nodes</c>, a node whose port is not from 1 to 65535, or a node client's own argument error.</exception>
    public StomperCluster(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Checked first, in the constructor's name: otherwise the first node client's
        // constructor would be named, though the caller made a cluster.
        Loop = options.Loop ?? AE.CurrentLoop;
        Loop.VerifyAccess(ConstructorName);
        var nodes = options.Nodes ?? throw Errors.NodesNotSpecified();
        if (nodes.Any(n => n is null || string.IsNullOrEmpty(n.Host)))
        {
            throw Errors.NodesNotArray();
        }

        if (nodes.Count == 0)
        {
            throw Errors.NodesEmpty();
        }

        // Refused here rather than when the node is first used: a node that cannot be
        // connected to would otherwise throw out of whichever command found it active.
        if (nodes.FirstOrDefault(n => n.Port is < 1 or > 65535) is { } invalid)
        {
            throw Errors.NodePortInvalid(invalid.Host, invalid.Port);
        }

        if (nodes.FirstOrDefault(n => n.Url is { } url && (url.Host != n.Host || url.Port != n.Port)) is { } renamed)
        {
            throw Errors.NodeUrlMismatch(renamed.Host, renamed.Port, renamed.Url!);
        }

        if (options.SendJournal is { } journal)
        {
            _journal = journal.MaxCount < 1 ? throw Errors.ClusterOptionNotPositive("SendJournal.MaxCount")
                : journal.MaxBytes < 1 ? throw Errors.ClusterOptionNotPositive("SendJournal.MaxBytes")
                : new SendJournal(journal);

            // Unique across processes and restarts, so that a consumer's window never takes
            // a new message for one it saw from an earlier run.
            _idPrefix = Guid.NewGuid().ToString("N")[..16] + "-";
        }

        _defaultSendReceipt = DefaultHeader(options, StompCommands.Send, "receipt");
        _defaultSubscribeAck = DefaultHeader(options, StompCommands.Subscribe, "ack");
        _announceRoom = AnnounceRoom;
        // Checked before any node client exists, so that a bad policy leaves nothing behind.
        options.ReconnectPolicy?.Check();
        OnNodeConnect = options.OnNodeConnect;
        OnNodeDisconnect = options.OnNodeDisconnect;
        OnNodeError = options.OnNodeError;
        OnError = options.OnError;
        _telemetry = new ClusterTelemetry(options.LoggerFactory, options.MeterFactory);
        var factory = options.NodeFactory ?? (o => new StomperClient(o));
        var states = nodes.Distinct().Select(node => MakeNode(node, options, factory)).ToArray();
        _clients = [.. states.Select(s => s.Client)];
        var random = options.Random ?? Random.Shared;
        _ring = new NodeRing(states, random.Next(states.Length));
        if (options.ReconnectPolicy is { } policy)
        {
            _backoff = new RingBackoff(policy, random, Loop, states.Length, NextRound);
        }
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
        set
        {
            Loop.VerifyAccess();
            _onError = value ?? s_defaultOnError;
        }
    }

    /// <summary>
    /// Beyond the original: how many MESSAGEs the subscriptions with a
    /// <see cref="CommandParams.DeduplicationWindow"/> dropped as repeats of one they had
    /// delivered (a SEND sent again after a failover, a redelivery after a lost ACK).
    /// </summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>The SENDs the send journal holds now, awaiting their RECEIPT (0 without a journal), for tests and the async face.</summary>
    internal int JournalCount => _journal?.Count ?? 0;

    /// <summary>The body bytes of the SENDs the send journal holds now.</summary>
    internal long JournalBytes => _journal?.Bytes ?? 0;

    /// <summary>The transactions whose BEGIN the cluster routes by, for tests.</summary>
    internal int TransactionCount => _transactions.Count;

    /// <summary>
    /// For the async face, which waits for room instead of failing: called on a later pass
    /// once a journaled SEND has been answered, while <see cref="JournalRoomWanted"/>.
    /// </summary>
    internal Action? JournalRoom { get; set; }

    /// <summary>Set by the async face while SENDs of its wait for room in the journal.</summary>
    internal bool JournalRoomWanted { get; set; }

    /// <summary>Whether a SEND of these parameters would be taken by the journal now (always, without a journal).</summary>
    internal bool JournalHasRoomFor(CommandParams parameters) => _journal?.HasRoomFor(parameters.BodyLength) ?? true;

    /// <summary>The node that commands go to now.</summary>
    public IStomperClient ActiveNode => _ring.Active.Client;

    internal ClusterState State { get; private set; }

    /// <summary>How many times <see cref="ForceDisconnect"/> has run: a command issued before the latest one is never retried.</summary>
    internal int Generation { get; private set; }

    internal int NodeCount => _ring.Count;

    /// <summary>The reconnect policy at work, or null for the original's rule.</summary>
    internal RingBackoff? Backoff => _backoff;

    /// <summary>The subscriptions the cluster follows through failovers, for tests: none once nothing is subscribed.</summary>
    internal int SubscriptionCount => _subscriptions.Count;

    /// <summary>The node clients, one per distinct host:port, in the order given (<c>$cluster-&gt;nodes</c>).</summary>
    public IReadOnlyList<IStomperClient> Nodes() => _clients;

    /// <summary>
    /// Runs any command by name (<c>$cluster-&gt;execute('SEND', ...)</c>) on the active
    /// node (ACK/NACK of a message: on the node that delivered it; UNSUBSCRIBE: on the
    /// node that holds the subscription). SEND, SUBSCRIBE and BEGIN are repeated on the
    /// next node when their node fails.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The cluster has been disposed.</exception>
    /// <exception cref="ArgumentException">SUBSCRIBE without <c>on_message</c>, or an argument the node client refuses.</exception>
    public override void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null)
    {
        Loop.VerifyAccess();
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(parameters);
        ObjectDisposedException.ThrowIf(State == ClusterState.Disposed, this);
        var name = ClientCommandName(command);
        if (name == StompCommands.Subscribe && parameters.OnMessage is null)
        {
            throw Errors.OnMessageNotSpecified();
        }

        if (name == StompCommands.Subscribe && parameters.DeduplicationWindow < 0)
        {
            throw Errors.ClusterOptionNotPositive(nameof(CommandParams.DeduplicationWindow));
        }

        var cluster = Rent(name, parameters, onReceipt ?? parameters.OnReceipt);
        cluster.AddedInOutage = _backoff?.Outage == true;
        if (name == StompCommands.Send && _journal is { } journal && !Journal(cluster, journal))
        {
            return;
        }

        if (name == StompCommands.Subscribe)
        {
            if (parameters.DeduplicationWindow > 0)
            {
                cluster.Duplicates = new DuplicateFilter(parameters.DeduplicationWindow);
                cluster.AcksDuplicates = (parameters["ack"] ?? _defaultSubscribeAck) == "client-individual";
            }

            cluster.SubscriptionKey = SubscriptionKey(parameters);
            _subscriptions.TryGetValue(cluster.SubscriptionKey, out var previous);
            cluster.Previous = previous;
            _subscriptions[cluster.SubscriptionKey] = cluster;
        }
        else if (name == StompCommands.Unsubscribe && _subscriptions.TryGetValue(SubscriptionKey(parameters), out var subscription))
        {
            cluster.Unsubscribes(subscription);
        }
        else if (name == StompCommands.Nack)
        {
            Refused(parameters.Message);
        }

        try
        {
            Run(cluster);
        }
        catch
        {
            cluster.Abandon();
            throw;
        }
    }

    /// <summary>
    /// Closes every node's connection at once; every uncompleted operation is aborted
    /// once with <see cref="E_CONN_CLOSED_BY_CLIENT"/>, including one caught between two
    /// nodes by a failover under way: nothing issued before this call is run again.
    /// Unlike the original, the cluster stays usable: the next command connects again.
    /// </summary>
    public void ForceDisconnect()
    {
        Loop.VerifyAccess();
        if (State == ClusterState.Disposed)
        {
            return;
        }

        // Called again from a callback it causes, it runs again in full: what was issued
        // in between is pending too, and must end as well.
        var before = State;
        State = ClusterState.Closing;
        Generation++;

        // What waits out a backoff was issued before this call: it is aborted with the rest,
        // never run, and the next command starts a new count.
        var waiting = _backoff?.Stop() ?? [];
        try
        {
            foreach (var node in _ring.All)
            {
                // Messages delivered so far can no longer be acknowledged, even by a
                // command issued while the other nodes close.
                node.EndSession();
            }

            ForEachNode(client => client.ForceDisconnect());
        }
        catch
        {
            // Only one exception can leave; the waiting commands hear on the next pass.
            AbortWaitingLater(waiting, 0);
            throw;
        }
        finally
        {
            if (State == ClusterState.Closing)
            {
                State = before;
            }
        }

        AbortWaiting(waiting, 0);
    }

    /// <summary>
    /// Stops taking frames from every node, for a consumer that cannot keep up (a .NET
    /// addition; see <see cref="StomperClient.PauseReading"/>): the heart-beat read
    /// timeouts do not count the pause, and a node that connects meanwhile pauses once
    /// logged in.
    /// </summary>
    public void PauseReading()
    {
        Loop.VerifyAccess();
        foreach (var client in _clients)
        {
            client.PauseReading();
        }
    }

    /// <summary>Takes frames from every node again after <see cref="PauseReading"/>.</summary>
    public void ResumeReading()
    {
        Loop.VerifyAccess();
        foreach (var client in _clients)
        {
            client.ResumeReading();
        }
    }

    /// <summary>
    /// Destroys every node client. Safe from any callback. Every command still pending
    /// is answered once, at once, in the order issued: its callback (else
    /// <see cref="OnError"/>) gets <see cref="E_CONN_CLOSED_BY_CLIENT"/>
    /// <c>Operation "&lt;NAME&gt;" aborted: Client object destroyed prematurely.</c>
    /// (a node client only warns so). Nothing is called after that; later commands throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        Loop.VerifyAccess();
        if (State == ClusterState.Disposed)
        {
            return;
        }

        State = ClusterState.Disposed;
        _backoff?.Dispose();

        // Closed before it is disposed, a node holds nothing to warn about; what its
        // closing reports is dropped, and so are the warnings of a node disposed while it
        // reports a failure, since the cluster answers its commands itself.
        var failure = ForEachNode(client =>
        {
            client.ForceDisconnect();
            client.Dispose();
        }, rethrow: false);
        var pending = _pending.OrderBy(c => c.Sequence).ToList();
        _telemetry.Disposed(pending.Count);
        _pending.Clear();
        _subscriptions.Clear();
        _spareCommands.Clear();
        foreach (var command in pending)
        {
            try
            {
                command.Fail(Errors.ClusterDestroyed(command.Name));
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        failure?.Throw();
    }

    /// <summary>
    /// Whether an error counts against its node: the original's rule (any code but
    /// <see cref="E_OPRN_ERROR"/> and <see cref="E_CONN_CLOSED_BY_CLIENT"/>), and beyond it an
    /// ERROR frame that answered no command and ended the session, with what it aborted.
    /// </summary>
    internal static bool IsNodeFailure(StompError error) => error.EndedSession || error.Code is not (E_OPRN_ERROR or E_CONN_CLOSED_BY_CLIENT);

    /// <summary>
    /// Moves on from a failed node if it is the active one (with a reconnect policy, that
    /// counts as a failed attempt), and reports the move.
    /// </summary>
    internal void FailOver(NodeState failed, StompError error)
    {
        var before = _ring.Active;
        if (_ring.FailOver(failed))
        {
            _backoff?.NodeFailed();
        }

        // A ring of one node moves to itself: no failover to report.
        if (_ring.Active != before)
        {
            _telemetry.FailedOver(before, _ring.Active, error);
        }
    }

    /// <summary>A node answered a command: with a reconnect policy, the count of failed attempts starts afresh.</summary>
    internal void NodeAnswered() => _backoff?.NodeAnswered();

    /// <summary>A command runs again on the active node after its node failed it.</summary>
    internal void Retrying(ClusterCommand command, int attempt) => _telemetry.Retrying(command.Name, command.Node, _ring.Active, attempt, _ring.Count);

    /// <summary>A command's last attempt failed with its node and nothing runs it again.</summary>
    internal void GaveUp(ClusterCommand command, StompError error) => _telemetry.GaveUp(command.Name, command.Node, error);

    internal void ReportError(StompError error) => _onError(error);

    /// <summary>
    /// True while the cluster closes the nodes left after one whose callback threw: what
    /// they report waits for the next pass, as a node client's own remaining reports do,
    /// so that the exception on its way out is not replaced by another.
    /// </summary>
    internal bool Deferring => _deferring > 0;

    /// <summary>Calls the user now, or on the next pass while <see cref="Deferring"/>.</summary>
    internal void Notify(Action notice)
    {
        if (_deferring > 0)
        {
            Loop.Postpone(() =>
            {
                if (State != ClusterState.Disposed)
                {
                    notice();
                }
            });
        }
        else
        {
            notice();
        }
    }

    /// <summary>Runs one attempt of a command on the node it belongs on.</summary>
    internal void Run(ClusterCommand command)
    {
        _pending.Add(command);
        var parameters = command.Parameters;
        NodeState node;
        if (command.Name is StompCommands.Ack or StompCommands.Nack && parameters.Message?.DeliveredBy is NodeSession delivery)
        {
            if (!delivery.IsCurrent)
            {
                // Sending it anywhere would open a connection for nothing: the broker
                // forgot the delivery with the connection and will redeliver the message.
                var address = delivery.Node.Address;
                command.FailLater(Errors.DeliveringConnectionClosed(command.Name, address.Host, address.Port));
                return;
            }

            node = delivery.Node;
        }
        else if (command.Target is { } subscription)
        {
            if (subscription.IsWaiting)
            {
                // Its SUBSCRIBE waits for the next round of the reconnect policy: the
                // UNSUBSCRIBE follows it there, in issue order, to the same node.
                Wait(command, _backoff!);
                return;
            }

            // The connection that holds a subscription is the one whose RECEIPT confirmed
            // it; before that, the one its SUBSCRIBE went out on, which a SUBSCRIBE issued
            // while its node's connection was ending is the next one. None: a SUBSCRIBE
            // that waited out a backoff and was then refused, so never went anywhere.
            if ((subscription.ConfirmedIn ?? subscription.Session) is not { IsCurrent: true })
            {
                // As a stale ACK: the broker dropped the subscription with the connection,
                // and the node's lazy client would connect again just to send this.
                command.FindsItsConnectionClosed((subscription.ConfirmedIn ?? subscription.Session)?.Node ?? _ring.Active);
                return;
            }

            node = subscription.Node;
        }
        else if (_transactions.Count > 0 && command.Name is StompCommands.Send or StompCommands.Commit or StompCommands.Abort
            && parameters["transaction"] is { } transaction && _transactions.TryGetValue(transaction, out var begun))
        {
            if (command.Name != StompCommands.Send)
            {
                _transactions.Remove(transaction);
            }

            if (!begun.IsCurrent)
            {
                // Any other node would refuse the unknown transaction, or worse, take the
                // SEND outside it; the broker aborted the transaction with its connection.
                var address = begun.Node.Address;
                command.FailLater(Errors.TransactionLost(command.Name, transaction, address.Host, address.Port));
                return;
            }

            node = begun.Node;
        }
        else
        {
            if (_backoff is { MustWait: true } backoff)
            {
                Wait(command, backoff);
                return;
            }

            node = _ring.Active;
        }

        command.Session = node.Session;
        if (command.Name == StompCommands.Begin && parameters["transaction"] is { } begins)
        {
            Began(begins, node.Session);
        }

        command.AttemptSeries = _backoff?.Series ?? 0;
        var nodeParameters = parameters;
        if (command.Name == StompCommands.Subscribe)
        {
            command.ConfirmedIn = null;
            _subscriptions.TryAdd(command.SubscriptionKey!, command);
            nodeParameters = parameters.CopyWithOnMessage(Stamping(node, command));
        }

        node.Client.Execute(command.Name, nodeParameters, command.OnNodeReply);
    }

    /// <summary>
    /// Routes a transaction's commands to where its BEGIN went. Past a bound, the
    /// transactions whose connection has ended are forgotten: an application that never
    /// commits nor aborts them would otherwise grow the table for ever, and only a late
    /// COMMIT of one of them loses its clear error (the broker refuses it instead).
    /// </summary>
    private void Began(string transaction, NodeSession session)
    {
        if (_transactions.Count >= _transactionsPruneAt)
        {
            foreach (var (name, begun) in _transactions)
            {
                if (!begun.IsCurrent)
                {
                    _transactions.Remove(name);
                }
            }

            // Open transactions are kept however many there are; the next scan waits until
            // the table has doubled, so that a scan costs a BEGIN nothing on average.
            _transactionsPruneAt = Math.Max(MaxLostTransactions, 2 * _transactions.Count);
        }

        _transactions[transaction] = session;
    }

    /// <summary>A BEGIN failed for good, or waits to begin anew: nothing routes by its last attempt's connection.</summary>
    internal void ForgetTransaction(ClusterCommand begin)
    {
        if (begin.Parameters["transaction"] is { } transaction && begin.Session is { } session
            && _transactions.TryGetValue(transaction, out var begun) && ReferenceEquals(begun, session))
        {
            _transactions.Remove(transaction);
        }
    }

    /// <summary>
    /// Holds a command for the active node until the next round of the reconnect policy.
    /// A subscription held is being made anew: its last connection is no longer where it
    /// lives, so the end of that connection must not end it.
    /// </summary>
    private void Wait(ClusterCommand command, RingBackoff backoff)
    {
        if (command.Name == StompCommands.Subscribe)
        {
            command.ConfirmedIn = null;
        }
        else if (command.Name == StompCommands.Begin)
        {
            // The transaction begins anew on the next round's node: until then its SENDs,
            // COMMIT and ABORT wait with it, in issue order, rather than fail on the
            // connection its last attempt died with.
            ForgetTransaction(command);
        }

        if (!backoff.Hold(command))
        {
            command.FailWaiting(Errors.TooManyWaiting(command.Name, backoff.MaxWaitingCommands), later: true);
        }
    }

    /// <summary>The backoff is over: what waited runs on the active node, in the order issued.</summary>
    private void NextRound(List<ClusterCommand> waiting) => RunWaiting(waiting, 0, Generation);

    private void RunWaiting(List<ClusterCommand> waiting, int from, int generation)
    {
        for (var i = from; i < waiting.Count && State != ClusterState.Disposed; i++)
        {
            if (Generation != generation)
            {
                // A callback of the round called force_disconnect: the rest of the round,
                // off the backoff's list and on no node, was issued before it and is aborted
                // as what still waited would have been, never run.
                AbortWaiting(waiting, i);
                return;
            }

            var command = waiting[i];
            try
            {
                Run(command);
            }
            catch (Exception refusal)
            {
                // No caller to throw to: the node client refused it (disposed on its own,
                // say), and the command hears why.
                try
                {
                    command.FailWaiting(Errors.RefusedAfterWaiting(command.Name, refusal), later: false);
                }
                catch
                {
                    var next = i + 1;
                    Loop.Postpone(() => RunWaiting(waiting, next, generation));
                    throw;
                }
            }
        }
    }

    /// <summary>Answers the commands force_disconnect took from the backoff, as it answers those it cut short on the nodes.</summary>
    private void AbortWaiting(List<ClusterCommand> waiting, int from)
    {
        for (var i = from; i < waiting.Count && State != ClusterState.Disposed; i++)
        {
            try
            {
                waiting[i].FailWaiting(Errors.OperationAborted(waiting[i].Name, Errors.ConnectionClosedByClient()), later: false);
            }
            catch
            {
                AbortWaitingLater(waiting, i + 1);
                throw;
            }
        }
    }

    private void AbortWaitingLater(List<ClusterCommand> waiting, int from)
    {
        if (from < waiting.Count)
        {
            Loop.Postpone(() => AbortWaiting(waiting, from));
        }
    }

    /// <summary>
    /// A message callback that stamps each message with the connection that delivered
    /// it, so that its ACK goes there: one wrapper per attempt, nothing per message. A
    /// method of its own because a lambda capturing a local of <see cref="Run"/> would
    /// make C# allocate its closure on every SEND.
    /// </summary>
    /// <remarks>
    /// With a <see cref="CommandParams.DeduplicationWindow"/>, a message whose id the
    /// subscription delivered lately is dropped here, after the stamp, so that its ACK
    /// reaches the connection that delivered it.
    /// </remarks>
    private Action<Frame> Stamping(NodeState node, ClusterCommand subscription)
    {
        var onMessage = subscription.Parameters.OnMessage!;
        var duplicates = subscription.Duplicates;
        return frame =>
        {
            if (State == ClusterState.Disposed)
            {
                return;
            }

            frame.DeliveredBy = node.Session;
            if (duplicates is not null && frame.Headers[SendJournalOptions.IdHeader] is { } id && !duplicates.FirstTime(id))
            {
                DropDuplicate(frame, subscription.AcksDuplicates);
                return;
            }

            onMessage(frame);
        };
    }

    /// <summary>
    /// The application refused a message and the broker will deliver it again: a window
    /// that let it through must let the redelivery through too, or it would drop it and
    /// acknowledge it, and the message would be lost.
    /// </summary>
    private void Refused(Frame? message)
    {
        if (message?.Headers[SendJournalOptions.IdHeader] is { } id && Receiver(message) is { } subscription)
        {
            subscription.Duplicates?.Forget(id);
        }
    }

    /// <summary>
    /// The subscription a MESSAGE was delivered to, found as the node client found it: the
    /// key it stamped on the frame, else the one the subscription header names, else the
    /// one keyed by the destination. A subscription made without an id is keyed by its
    /// destination, while the broker may name one of its own in the MESSAGE (RabbitMQ's
    /// <c>T_/queue/...</c>): looked up by that header alone, its NACKed message would
    /// still be in the window, and its redelivery dropped and acknowledged.
    /// </summary>
    private ClusterCommand? Receiver(Frame message)
    {
        if ((message.SubscriptionKey ?? message.Headers["subscription"]) is { } key && _subscriptions.TryGetValue(key, out var subscription))
        {
            return subscription;
        }

        return message.Headers["destination"] is { } destination && _subscriptions.TryGetValue(destination, out subscription) ? subscription : null;
    }

    /// <summary>
    /// Counts a repeat and, in <c>client-individual</c> mode, acknowledges it so that the
    /// broker forgets it. In <c>client</c> mode an ACK is cumulative and would acknowledge
    /// the application's own messages before it: the application's next ACK covers the
    /// repeat instead.
    /// </summary>
    private void DropDuplicate(Frame frame, bool acknowledge)
    {
        DuplicatesDropped++;
        if (acknowledge)
        {
            Execute(StompCommands.Ack, new CommandParams { Message = frame }, s_ignoreAnswer);
        }
    }

    /// <summary>
    /// Takes a SEND into the journal: a receipt when the call asked for none (the SEND's
    /// id, so that one string serves both) and the id header unless the call set its own.
    /// A full journal fails it after the current callback, certainly not delivered.
    /// </summary>
    private bool Journal(ClusterCommand command, SendJournal journal)
    {
        var parameters = command.Parameters;
        var length = parameters.BodyLength;
        if (!journal.TryAdd(length))
        {
            // Pending, so that a Dispose before the answer answers it.
            _pending.Add(command);
            command.FailLater(Errors.SendJournalFull(journal.Count, journal.Bytes, length, journal.MaxCount, journal.MaxBytes));
            return false;
        }

        var id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_idPrefix}{++_journalIds}");
        parameters[SendJournalOptions.IdHeader] ??= id;
        if (parameters["receipt"] is null && _defaultSendReceipt is null)
        {
            parameters["receipt"] = id;
            command.ReceiptIsOwn = true;
        }

        command.JournalBytes = length;
        command.Journaled = true;
        return true;
    }

    /// <summary>A journaled SEND was answered: its room goes back, and the async face hears of it on a later pass if it waits.</summary>
    internal void Unjournal(ClusterCommand command)
    {
        _journal!.Remove(command.JournalBytes);
        if (JournalRoomWanted && !_roomAnnounced)
        {
            _roomAnnounced = true;
            Loop.Postpone(_announceRoom);
        }
    }

    private void AnnounceRoom()
    {
        _roomAnnounced = false;
        if (State != ClusterState.Disposed)
        {
            JournalRoom?.Invoke();
        }
    }

    /// <summary>A header the node clients add to every such command when the call gives none: its command_headers value, else its default_headers value.</summary>
    private static string? DefaultHeader(ClusterOptions options, string command, string header)
    {
        var own = options.CommandHeaders?.FirstOrDefault(kv => string.Equals(kv.Key, command, StringComparison.OrdinalIgnoreCase)).Value;
        return own?.GetValueOrDefault(header) ?? options.DefaultHeaders?.GetValueOrDefault(header);
    }

    /// <summary>Takes an answered command off the pending list.</summary>
    internal void Answered(ClusterCommand command) => _pending.Remove(command);

    internal bool IsPending(ClusterCommand command) => _pending.Contains(command);

    internal void Reuse(ClusterCommand command)
    {
        if (State != ClusterState.Disposed)
        {
            _spareCommands.Push(command);
        }
    }

    /// <summary>
    /// Drops a subscription that is over (unsubscribed, refused, or lost for good). Its id
    /// goes back to the older subscription it took it from, if that one still lives; a
    /// newer one that took the id keeps it.
    /// </summary>
    internal void Forget(ClusterCommand subscription)
    {
        // A subscription without a key was never in the table, nor linked to another.
        if (subscription.SubscriptionKey is { } key)
        {
            SubscriptionChain.Unlink(_subscriptions, key, subscription);
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

    private NodeState MakeNode(ClusterNode address, ClusterOptions options, Func<StomperOptions, IStomperClient> factory)
    {
        var node = new NodeState(address);
        node.Client = factory(new StomperOptions
        {
            Host = address.Host,
            Port = address.Port,
            Url = address.Url,
            WebSocket = options.WebSocket,
            Login = options.Login,
            Passcode = options.Passcode,
            Vhost = options.Vhost,
            Heartbeat = options.Heartbeat,
            ConnectionTimeout = options.ConnectionTimeout,
            ReconnectInterval = options.ReconnectInterval,
            ReceiptTimeout = options.ReceiptTimeout,
            HandleParams = options.HandleParams,
            DefaultHeaders = options.DefaultHeaders,
            CommandHeaders = options.CommandHeaders,
            FrameLimits = options.FrameLimits,
            LoggerFactory = options.LoggerFactory,
            MeterFactory = options.MeterFactory,
            // The cluster's resolved loop, never the option: a node factory that resolved
            // a missing loop on its own could put a node on another loop than the cluster.
            Loop = Loop,
            Transport = options.Transport,
            Lazy = true,
            OwnerAnswersCommands = () => State == ClusterState.Disposed,
            OnBeforeConnect = options.OnBeforeConnect,
            OwnerOnLogin = NodeAnswered,
            OnConnect = () => NodeConnected(node),
            OnDisconnect = () => NodeDisconnected(node),
            OnError = err => NodeFailed(node, err),
        });
        return node;
    }

    private void NodeConnected(NodeState node)
    {
        node.Connected();
        if (State != ClusterState.Disposed)
        {
            OnNodeConnect?.Invoke(node.Address.Host, node.Address.Port);
        }
    }

    /// <summary>
    /// A node's connection ended with an error. As in the original, the next node becomes
    /// active before on_node_error hears of it, so that a command issued there goes to a
    /// live node. The node's aborted commands follow, and retry on the active node.
    /// </summary>
    private void NodeFailed(NodeState node, StompError error)
    {
        if (State == ClusterState.Disposed)
        {
            return;
        }

        node.EndSession();
        if (IsNodeFailure(error))
        {
            FailOver(node, error);
        }

        if (OnNodeError is { } onNodeError)
        {
            Notify(() => onNodeError(error, node.Address.Host, node.Address.Port));
        }
    }

    /// <summary>
    /// A node's connection ended; this is the last of its reports. Subscriptions it held
    /// that nobody heard were lost (a DISCONNECT or force_disconnect ends them silently)
    /// are over: the cluster stops following them.
    /// </summary>
    private void NodeDisconnected(NodeState node)
    {
        if (State == ClusterState.Disposed)
        {
            return;
        }

        node.EndSessionUnlessEnded();
        List<ClusterCommand>? ended = null;
        foreach (var newest in _subscriptions.Values)
        {
            for (var subscription = newest; subscription is not null; subscription = subscription.Previous)
            {
                if (subscription.ConfirmedIn is { } session && session.Node == node && !session.IsCurrent)
                {
                    (ended ??= []).Add(subscription);
                }
            }
        }

        ended?.ForEach(Forget);
        if (OnNodeDisconnect is { } onNodeDisconnect)
        {
            Notify(() => onNodeDisconnect(node.Address.Host, node.Address.Port));
        }
    }

    /// <summary>Does something to every node client, the active one first; a callback that throws does not keep the others from their turn.</summary>
    private ExceptionDispatchInfo? ForEachNode(Action<IStomperClient> action, bool rethrow = true)
    {
        ExceptionDispatchInfo? failure = null;
        foreach (var node in _ring.FromActive().ToList())
        {
            var defer = failure is not null;
            _deferring += defer ? 1 : 0;
            try
            {
                action(node.Client);
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                _deferring -= defer ? 1 : 0;
            }
        }

        if (rethrow)
        {
            failure?.Throw();
        }

        return failure;
    }

    /// <summary>A command object for one call: reused once a previous call has finished, so a stream of SENDs allocates none.</summary>
    private ClusterCommand Rent(string name, CommandParams parameters, Action<Frame?, StompError?>? callback)
    {
        var command = _spareCommands.TryPop(out var spare) ? spare : new ClusterCommand(this);
        command.Start(name, parameters, callback, ++_sequence, Generation);
        return command;
    }
}
