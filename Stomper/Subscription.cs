namespace Stomper;

/// <summary>One SUBSCRIBE of a connection: where its messages go and what they await.</summary>
internal sealed class Subscription : ISubscriptionLink<Subscription>
{
    public Subscription(string id, string ackMode, Action<Frame> onMessage, Action<Frame?, StompError?>? onReceipt)
    {
        Id = id;
        OnMessage = onMessage;
        OnReceipt = onReceipt;
        Acks = ackMode switch
        {
            "client" => new PendingAcks(cumulative: true),
            "client-individual" => new PendingAcks(cumulative: false),
            _ => null,
        };
    }

    public string Id { get; }

    public Action<Frame> OnMessage { get; }

    /// <summary>The SUBSCRIBE's callback: it hears of the subscription's loss.</summary>
    public Action<Frame?, StompError?>? OnReceipt { get; }

    /// <summary>Null for <c>auto</c> acknowledgement.</summary>
    public PendingAcks? Acks { get; }

    /// <summary>
    /// The SUBSCRIBE's destination: what metrics and span names call its messages, since a
    /// MESSAGE's own (a wildcard's match, a routing key) is one per message, unbounded.
    /// </summary>
    public string? Destination { get; init; }

    /// <summary>The SUBSCRIBE's place in issue order: losses are reported in that order.</summary>
    public long Sequence { get; init; }

    /// <summary>True once the broker's RECEIPT for the SUBSCRIBE arrived.</summary>
    public bool Confirmed { get; set; }

    /// <summary>
    /// The subscription that held the same id when this one's SUBSCRIBE was written, while
    /// it still may: until its UNSUBSCRIBE is confirmed, or for good when this SUBSCRIBE is
    /// refused. Messages go to the oldest of the chain (the broker answers its UNSUBSCRIBE
    /// before it delivers to a newer one); every one settles its ACKs and hears of its loss.
    /// </summary>
    public Subscription? Previous { get; set; }

    /// <summary>This subscription and every older one under its id, newest first.</summary>
    public IEnumerable<Subscription> Chain()
    {
        for (var subscription = this; subscription is not null; subscription = subscription.Previous)
        {
            yield return subscription;
        }
    }
}
