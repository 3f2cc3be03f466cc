using Stomper.Cluster;

namespace Stomper.Async;

/// <summary>
/// What an <see cref="AsyncStomperClient"/> runs: one server (<see cref="Client"/>, the
/// options of AnyEvent::Stomper) or a cluster (<see cref="Cluster"/>, the options of
/// AnyEvent::Stomper::Cluster), never both. The rest of the API is the same either way.
/// </summary>
/// <remarks>
/// Every option and callback of the callback API is honoured as it is documented there,
/// with one difference: the callbacks in those options (<c>OnConnect</c>,
/// <c>OnDisconnect</c>, <c>OnError</c>, <c>OnNodeConnect</c>, <c>OnNodeDisconnect</c>,
/// <c>OnNodeError</c>) run on the thread pool, one at a time and in order, never on the
/// loop's thread. Leave their <c>Loop</c> unset for a loop of the client's own, on a thread
/// of its own; set it to run on a loop you run yourself.
/// </remarks>
public sealed class AsyncStomperOptions
{
    /// <summary>Talk to one server with these options (<c>AnyEvent::Stomper-&gt;new(...)</c>).</summary>
    public StomperOptions? Client { get; init; }

    /// <summary>Talk to a cluster with these options (<c>AnyEvent::Stomper::Cluster-&gt;new(...)</c>).</summary>
    public ClusterOptions? Cluster { get; init; }

    /// <summary>
    /// How many messages a subscription holds for a consumer that has not taken them yet
    /// (default 1000). When one subscription's buffer is full the client stops reading
    /// from the server (see <see cref="StomperClient.PauseReading"/>) until that consumer
    /// has taken half of them; heart-beats keep flowing and the pause is not counted as
    /// the server's silence.
    /// </summary>
    public int MessageBufferSize { get; init; } = 1000;

    /// <summary>
    /// How far a full buffer may grow while a reply from the broker is awaited (default
    /// null: 64 times <see cref="MessageBufferSize"/>). While a command waits for the
    /// broker's RECEIPT (a receipted SEND, a COMMIT, a SUBSCRIBE, ...) a full buffer does not
    /// stop reading, because that RECEIPT may be what the full buffer's own consumer waits
    /// for, behind the messages; at this many messages reading stops all the same, and the
    /// reply then ends by its <c>ReceiptTimeout</c>, its cancellation or the client's
    /// disposal (docs/async.md, "Backpressure").
    /// </summary>
    public int? MessageBufferLimit { get; init; }

    /// <summary>
    /// Also ask the broker to hold messages back: a SUBSCRIBE with <c>client</c> or
    /// <c>client-individual</c> acks gets RabbitMQ's <c>prefetch-count</c> and ActiveMQ's
    /// <c>activemq.prefetchSize</c> set to <see cref="MessageBufferSize"/>, unless the call
    /// gives them. Brokers ignore the other's header. Default true: the broker then holds
    /// back a slow consumer of its own subscription, so its buffer does not fill and pause
    /// the connection that the other subscriptions and the RECEIPTs share. False sends
    /// the SUBSCRIBE as given.
    /// </summary>
    public bool BrokerPrefetch { get; init; } = true;
}
