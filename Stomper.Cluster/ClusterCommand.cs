using static Stomper.ErrorCode;

namespace Stomper.Cluster;

/// <summary>
/// One cluster command across its attempts on the nodes. At most one attempt is on a
/// node at a time, and the object is reused only after its final answer, so a reply
/// from a node always belongs to the attempt under way.
/// </summary>
internal sealed class ClusterCommand : ISubscriptionLink<ClusterCommand>
{
    private readonly StomperCluster _cluster;
    private Action<Frame?, StompError?>? _callback;
    private int _failures;

    /// <summary>Some attempt's frame may have reached a broker: a final error says so.</summary>
    private bool _mayHaveBeenDelivered;

    public ClusterCommand(StomperCluster cluster)
    {
        _cluster = cluster;
        OnNodeReply = Reply;
    }

    public string Name { get; private set; } = string.Empty;

    /// <summary>
    /// The call's parameters as they were at the call: a retry on the next node sends what
    /// was asked then, whatever the caller changed since (Perl copies its arguments). A
    /// copy kept with the object and reused, so that a stream of SENDs allocates none.
    /// </summary>
    public CommandParams Parameters { get; } = new();

    /// <summary>Issue order, for answering what is pending in that order.</summary>
    public long Sequence { get; private set; }

    /// <summary>The cluster's <see cref="StomperCluster.Generation"/> when the command was issued.</summary>
    public int Generation { get; private set; }

    /// <summary>The node and connection of the attempt under way; null before the first attempt.</summary>
    public NodeSession? Session { get; set; }

    /// <summary>Held by the reconnect policy until its next round.</summary>
    public bool IsWaiting { get; set; }

    /// <summary>Added by the application while no node answered: counted against the policy's MaxWaitingCommands until answered.</summary>
    public bool CountsAsWaiting { get; set; }

    /// <summary>
    /// Issued while no node answered (<see cref="RingBackoff.Outage"/>): counts against
    /// MaxWaitingCommands should it come to wait, even after an attempt on a node of the
    /// round under way. Cleared by its answer: a subscription kept later is not counted again.
    /// </summary>
    public bool AddedInOutage { get; set; }

    public NodeState Node => Session!.Node;

    /// <summary>With a reconnect policy: the <see cref="RingBackoff.Series"/> the attempt under way began in.</summary>
    public int AttemptSeries { get; set; }

    /// <summary>The callback handed to the node, made once per object.</summary>
    public Action<Frame?, StompError?> OnNodeReply { get; }

    /// <summary>For SUBSCRIBE: the subscription's id (or destination), as the node clients key it.</summary>
    public string? SubscriptionKey { get; set; }

    /// <summary>For SUBSCRIBE: the connection whose RECEIPT confirmed the subscription; null until then, and again while it is being made anew.</summary>
    public NodeSession? ConfirmedIn { get; set; }

    /// <summary>For SUBSCRIBE: how many UNSUBSCRIBEs of it are on their way. While any is, a loss of the subscription is the application's news, not a reason to make it again.</summary>
    public int PendingUnsubscribes { get; private set; }

    /// <summary>For SUBSCRIBE: an UNSUBSCRIBE found the connection that held it gone. It ended with that connection, and a loss reported for it is final.</summary>
    public bool Cancelled { get; private set; }

    /// <summary>For UNSUBSCRIBE: the subscription it was issued for, whatever has taken its id since.</summary>
    public ClusterCommand? Target { get; private set; }

    /// <summary>
    /// For SUBSCRIBE: the subscription that held the same id when this one was issued and
    /// still lives (its UNSUBSCRIBE unconfirmed, or refused); it holds the id again if
    /// this one fails.
    /// </summary>
    public ClusterCommand? Previous { get; set; }

    /// <summary>For SEND: held by the send journal until its final answer.</summary>
    public bool Journaled { get; set; }

    /// <summary>For a journaled SEND: the body bytes it holds in the journal.</summary>
    public int JournalBytes { get; set; }

    /// <summary>For a journaled SEND: the journal added the receipt; the call asked for none, so its callback gets no frame.</summary>
    public bool ReceiptIsOwn { get; set; }

    /// <summary>For SUBSCRIBE with a deduplication window: the ids delivered lately, kept across re-subscriptions.</summary>
    public DuplicateFilter? Duplicates { get; set; }

    /// <summary>For SUBSCRIBE with a deduplication window: a dropped repeat is acknowledged (<c>client-individual</c>).</summary>
    public bool AcksDuplicates { get; set; }

    private bool IsRepeatable => Name is StompCommands.Send or StompCommands.Subscribe or StompCommands.Begin;

    public void Start(string name, CommandParams parameters, Action<Frame?, StompError?>? callback, long sequence, int generation)
    {
        Name = name;
        Parameters.CopyFrom(parameters);
        ClientTelemetry.Remember(Parameters);
        _callback = callback;
        Sequence = sequence;
        Generation = generation;
        _failures = 0;
        SubscriptionKey = null;
        ConfirmedIn = null;
        PendingUnsubscribes = 0;
        Cancelled = false;
        Target = null;
        Previous = null;
        Journaled = false;
        JournalBytes = 0;
        ReceiptIsOwn = false;
        Duplicates = null;
        AcksDuplicates = false;
        _mayHaveBeenDelivered = false;
    }

    /// <summary>Makes this UNSUBSCRIBE the end of <paramref name="subscription"/>, until it is answered.</summary>
    public void Unsubscribes(ClusterCommand subscription)
    {
        Target = subscription;
        subscription.PendingUnsubscribes++;
    }

    /// <summary>
    /// This UNSUBSCRIBE found its subscription's connection gone: the subscription ended
    /// with it and is not made again; the UNSUBSCRIBE is not sent anywhere (which would
    /// open a connection for nothing) and fails after the current callback.
    /// </summary>
    public void FindsItsConnectionClosed(NodeState node)
    {
        Target!.Cancelled = true;
        _cluster.Forget(Target);
        FailLater(Errors.SubscribingConnectionClosed(Name, node.Address.Host, node.Address.Port));
    }

    /// <summary>Undoes a call the node refused with an argument error: nothing of it stays behind.</summary>
    public void Abandon()
    {
        if (Name == StompCommands.Subscribe)
        {
            _cluster.Forget(this);
        }

        Answer();
    }

    /// <summary>Gives the command its final error now.</summary>
    public void Fail(StompError error)
    {
        error = Errors.WithDoubt(error, error.MayHaveBeenDelivered || _mayHaveBeenDelivered);
        if (Name == StompCommands.Begin)
        {
            _cluster.ForgetTransaction(this);
        }

        if (Answer() is { } callback)
        {
            callback(null, error);
        }
        else
        {
            _cluster.ReportError(error);
        }
    }

    /// <summary>
    /// Ends a command that waited for a node without reaching one (force_disconnect, a full
    /// waiting list, a node client that refused it): a subscription among them is no longer
    /// followed.
    /// </summary>
    public void FailWaiting(StompError error, bool later)
    {
        if (Name == StompCommands.Subscribe)
        {
            _cluster.Forget(this);
        }

        if (later)
        {
            FailLater(error);
        }
        else
        {
            Fail(error);
        }
    }

    /// <summary>Gives the command its final error after the current callback, as a node client does for an ACK it will not send.</summary>
    public void FailLater(StompError error) => _cluster.Loop.Postpone(() =>
    {
        // Dispose answers pending commands itself; this one must not hear twice.
        if (_cluster.State != ClusterState.Disposed)
        {
            Fail(error);
        }
    });

    private void Reply(Frame? receipt, StompError? error)
    {
        _mayHaveBeenDelivered |= error?.MayHaveBeenDelivered == true;
        if (_cluster.State == ClusterState.Disposed)
        {
            // A receipt-less command written before the Dispose closed its node has
            // completed, and is answered so rather than aborted with the rest.
            if (error is null && _cluster.IsPending(this))
            {
                Succeed(receipt);
            }

            return;
        }

        if (_cluster.Deferring)
        {
            ReplyLater(receipt, error);
            return;
        }

        if (error is null)
        {
            Succeed(receipt);
            return;
        }

        FailOnNode(error);
    }

    /// <summary>
    /// A node refused or lost this attempt: on_node_error hears first, then the command
    /// runs again or is answered. A method of its own so that the closure of a put-off
    /// answer is made only on this path, not on every reply.
    /// </summary>
    private void FailOnNode(StompError error)
    {
        // The original makes the next node active before anyone hears of a failure, so
        // that a command issued from on_node_error goes there. A node client reports its
        // own end (on_error) before aborting its commands; if it has not, do it here.
        var node = Node;
        if (StomperCluster.IsNodeFailure(error) && Session!.IsCurrent)
        {
            _cluster.FailOver(node, error);
        }

        var onNodeError = Parameters.OnNodeError ?? _cluster.OnNodeError;
        if (onNodeError is null)
        {
            if (FinalError(error) is { } final)
            {
                Fail(final);
            }

            return;
        }

        // Should on_node_error throw, the answer waits until after the exception has left
        // (so that an exception from it cannot replace that one). Its place among the
        // calls put off is taken now, before on_node_error runs: the failure came before
        // anything the callback does, and the reply to a command issued from it (an
        // UNSUBSCRIBE of this very subscription) must not reach the user first.
        StompError? putOff = null;
        _cluster.Loop.Postpone(() =>
        {
            // Dispose answers pending commands itself; this one must not hear twice.
            if (putOff is not null && _cluster.State != ClusterState.Disposed)
            {
                Fail(putOff);
            }
        });
        try
        {
            onNodeError(error, node.Address.Host, node.Address.Port);
        }
        catch
        {
            // The node will not call again: a throwing on_node_error must still let the
            // command run again or be answered.
            putOff = FinalError(error);
            throw;
        }

        if (FinalError(error) is { } answer)
        {
            Fail(answer);
        }
    }

    /// <summary>
    /// A reply that waits for the next pass. A method of its own because a lambda
    /// capturing <see cref="Reply"/>'s parameters makes C# allocate its closure on every
    /// reply, deferred or not.
    /// </summary>
    private void ReplyLater(Frame? receipt, StompError? error) => _cluster.Notify(() => Reply(receipt, error));

    private void Succeed(Frame? receipt)
    {
        _failures = 0;
        _cluster.NodeAnswered();
        if (Name == StompCommands.Subscribe)
        {
            ConfirmedIn = Node.Session;
        }
        else if (Target is { } subscription)
        {
            _cluster.Forget(subscription);
        }

        var own = ReceiptIsOwn;
        Answer()?.Invoke(own ? null : receipt, null);
    }

    /// <summary>
    /// Runs the command again on the next node when it may, and otherwise forgets what it
    /// leaves behind and hands back the error to answer it with, for the caller to give
    /// now or later; null when it runs again or the cluster is gone.
    /// </summary>
    private StompError? FinalError(StompError error)
    {
        if (_cluster.State == ClusterState.Disposed)
        {
            return null;
        }

        if (Generation != _cluster.Generation)
        {
            // force_disconnect came after this command was issued: nothing from before it
            // runs again, and what it cut short hears so in its words.
            var closed = Errors.ConnectionClosedByClient();
            error = ConfirmedIn is not null && SubscriptionKey is { } id
                ? Errors.SubscriptionLost(id, closed)
                : Errors.OperationAborted(Name, closed);
        }
        else if (_cluster.State == ClusterState.Running && IsRepeatable && PendingUnsubscribes == 0 && !Cancelled
            && StomperCluster.IsNodeFailure(error))
        {
            if (_cluster.Backoff is { } backoff)
            {
                // The policy counts attempts for the whole cluster: this one runs again (or
                // waits for the next round) unless the run it belonged to was given up.
                if (AttemptSeries == backoff.Series)
                {
                    _cluster.Retrying(this, ++_failures + 1);
                    _cluster.Run(this);
                    return null;
                }

                error = Errors.ReconnectGaveUp(error, backoff.MaxAttempts);
            }
            else if (++_failures < _cluster.NodeCount)
            {
                _cluster.Retrying(this, _failures + 1);
                _cluster.Run(this);
                return null;
            }
        }

        if (Name == StompCommands.Subscribe)
        {
            _cluster.Forget(this);
        }

        if (IsRepeatable && StomperCluster.IsNodeFailure(error))
        {
            _cluster.GaveUp(this, error);
        }

        return error;
    }

    /// <summary>
    /// Takes the command off the pending list and hands back its callback. Unless this
    /// is a subscription (whose callback hears of every re-subscription), the object goes
    /// back for reuse first, so that a command issued from the callback can take it.
    /// </summary>
    private Action<Frame?, StompError?>? Answer()
    {
        _cluster.Answered(this);
        _cluster.Backoff?.Answered(this);
        if (Journaled)
        {
            Journaled = false;
            _cluster.Unjournal(this);
        }

        if (Target is { } subscription)
        {
            subscription.PendingUnsubscribes--;
            Target = null;
        }

        var callback = _callback;
        if (Name != StompCommands.Subscribe)
        {
            _callback = null;
            Parameters.Clear();
            Session = null;
            _cluster.Reuse(this);
        }

        return callback;
    }
}
