namespace Stomper.Chaos.Scenarios;

/// <summary>
/// One fault script. The runner sets the stage (brokers healthy, a fresh quorum queue, the
/// workload publishing and, unless <see cref="SubscribesAtStart"/> is false, consuming),
/// calls <see cref="Run"/>, then brings every node back, lets the stream flow, and counts.
/// </summary>
internal abstract class Scenario
{
    /// <summary>The scenario's name on the command line and in the queue's name.</summary>
    public abstract string Name { get; }

    /// <summary>The row's label in the closing table.</summary>
    public abstract string Title { get; }

    /// <summary>False when the scenario subscribes the consumer itself.</summary>
    public virtual bool SubscribesAtStart => true;

    /// <summary>Whether failover after this fault must take under a second (the kill -9 target).</summary>
    public virtual bool IsKill => false;

    /// <summary>Whether the subscription must be back within 2 s of a node returning (the full-outage target).</summary>
    public virtual bool IsOutage => false;

    /// <summary>Whether SENDs must be answered within the receipt timeout's bound rather than the broker's (the SIGSTOP target).</summary>
    public virtual bool IsPause => false;

    /// <summary>Causes the faults; returns with the brokers' recovery under way or done.</summary>
    public abstract void Run(ScenarioContext context);

    /// <summary>Waits for the stream and the subscription to come back after <paramref name="fault"/>; they may not (the original mode's figures say so).</summary>
    protected static void AwaitRecovery(ScenarioContext context, Fault fault, double seconds = 60)
    {
        context.Workload.Until(() => context.StreamMovedOn(fault) && context.Workload.SubscribedSince(fault.Started), seconds);
    }
}
