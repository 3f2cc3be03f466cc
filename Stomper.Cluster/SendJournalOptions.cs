namespace Stomper.Cluster;

/// <summary>
/// Beyond the original: the bounds of a cluster's send journal
/// (<see cref="ClusterOptions.SendJournal"/>), which keeps every SEND until its RECEIPT and
/// sends it again on the next node when its node fails, so that the outcome of every SEND
/// is known (docs/cluster.md, "Delivery guarantees").
/// </summary>
public sealed class SendJournalOptions
{
    /// <summary>
    /// The header that carries a journaled SEND's unique id (unless the SEND sets it itself),
    /// which a subscription's <see cref="CommandParams.DeduplicationWindow"/> reads to drop
    /// repeats. RabbitMQ and ActiveMQ pass such custom headers on to the MESSAGE.
    /// </summary>
    public const string IdHeader = "stomper-id";

    /// <summary>How many SENDs may await their RECEIPT at once (default 10,000); must be positive.</summary>
    public int MaxCount { get; init; } = 10_000;

    /// <summary>How many body bytes the SENDs awaiting their RECEIPT may hold at once (default 64 MiB); must be positive.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;
}
