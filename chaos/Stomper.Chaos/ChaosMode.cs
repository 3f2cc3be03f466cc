using Stomper.Cluster;

namespace Stomper.Chaos;

/// <summary>
/// How the cluster is set up for a run: <see cref="Original"/>, today's defaults, whose
/// figures are only reported; <c>reliable</c>, the options of issue 14 switched on, whose
/// figures must meet the targets of <see cref="Targets"/>.
/// </summary>
internal abstract class ChaosMode
{
    /// <summary>Today's defaults: heart-beats aside, nothing beyond the original's options.</summary>
    public static ChaosMode Original { get; } = new OriginalMode();

    /// <summary>Issue 14's options on: the default <see cref="ReconnectPolicy"/>, a 3 s receipt timeout, the send journal, and a deduplication window on the subscription.</summary>
    public static ChaosMode Reliable { get; } = new ReliableMode();

    /// <summary>The modes a run may name, in the order <c>both</c> runs them.</summary>
    public static IReadOnlyList<ChaosMode> All { get; } = [Original, Reliable];

    public abstract string Name { get; }

    /// <summary>Whether a missed target fails the run.</summary>
    public abstract bool HasTargets { get; }

    /// <summary>The cluster's options: <paramref name="common"/> (nodes, credentials, heart-beats, callbacks) with the mode's own added.</summary>
    public abstract ClusterOptions Options(ClusterOptions common);

    /// <summary>The consumer's SUBSCRIBE with the mode's own options added.</summary>
    public abstract CommandParams Subscription(CommandParams subscribe);

    /// <summary>The longest the stream may stall on one node while a node is paused (the SIGSTOP target); unbounded without targets.</summary>
    public virtual double StallBound => double.PositiveInfinity;

    public override string ToString() => Name;

    private sealed class ReliableMode : ChaosMode
    {
        /// <summary>
        /// Well above a RECEIPT's time on a busy machine (the brokers share two cores with
        /// the builds), well below the minute a paused quorum-queue leader holds the queue.
        /// </summary>
        private static readonly TimeSpan s_receiptTimeout = TimeSpan.FromSeconds(3);

        public override string Name => "reliable";

        public override bool HasTargets => true;

        /// <summary>The receipt timeout, and a second for the next node's connect and login.</summary>
        public override double StallBound => s_receiptTimeout.TotalSeconds + 1;

        public override ClusterOptions Options(ClusterOptions common) => new()
        {
            Nodes = common.Nodes,
            Login = common.Login,
            Passcode = common.Passcode,
            Heartbeat = common.Heartbeat,
            Loop = common.Loop,
            Random = common.Random,
            OnNodeConnect = common.OnNodeConnect,
            OnNodeDisconnect = common.OnNodeDisconnect,
            OnNodeError = common.OnNodeError,
            OnError = common.OnError,
            // The defaults: 100 ms doubling to 1.5 s with full jitter, never giving up.
            ReconnectPolicy = new ReconnectPolicy(),
            ReceiptTimeout = s_receiptTimeout,
            SendJournal = new SendJournalOptions(),
        };

        public override CommandParams Subscription(CommandParams subscribe)
        {
            // Covers what can come again: the journal's unreceipted SENDs (at most the
            // publisher's window) and the broker's unacknowledged deliveries (the prefetch).
            subscribe.DeduplicationWindow = 100_000;
            return subscribe;
        }
    }

    private sealed class OriginalMode : ChaosMode
    {
        public override string Name => "original";

        public override bool HasTargets => false;

        public override ClusterOptions Options(ClusterOptions common) => common;

        public override CommandParams Subscription(CommandParams subscribe) => subscribe;
    }
}
