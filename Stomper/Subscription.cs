namespace Stomper;

/// <summary>One SUBSCRIBE of a connection: where its messages go and what they await.</summary>
internal sealed class Subscription
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

    /// <summary>True once the broker's RECEIPT for the SUBSCRIBE arrived.</summary>
    public bool Confirmed { get; set; }
}
