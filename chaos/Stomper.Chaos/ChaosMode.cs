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

    /// <summary>The modes a run may name, in the order <c>both</c> runs them.</summary>
    public static IReadOnlyList<ChaosMode> All { get; } = [Original];

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

    private sealed class OriginalMode : ChaosMode
    {
        public override string Name => "original";

        public override bool HasTargets => false;

        public override ClusterOptions Options(ClusterOptions common) => common;

        public override CommandParams Subscription(CommandParams subscribe) => subscribe;
    }
}
