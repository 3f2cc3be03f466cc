namespace Stomper.Chaos.Scenarios;

/// <summary>
/// kill -9 of the active node between a SUBSCRIBE and its RECEIPT. The node is paused
/// first, so the SUBSCRIBE surely reaches its socket and surely goes unanswered; it is
/// killed while paused.
/// </summary>
internal sealed class KillBeforeSubscribeReceipt : Scenario
{
    /// <summary>
    /// Time for the SUBSCRIBE to leave for the paused node's socket buffer: the client
    /// reports no event for a frame written, and this is far below the heart-beats' reach.
    /// </summary>
    private const double WriteSpan = 0.2;

    public override string Name => "kill-before-receipt";

    public override string Title => "kill -9 before a SUBSCRIBE's RECEIPT";

    public override bool SubscribesAtStart => false;

    public override bool IsKill => true;

    public override void Run(ScenarioContext context)
    {
        var workload = context.Workload;
        var victim = workload.ActivePort;
        var node = context.Settings.NodeName(victim);
        workload.Await(() => context.Brokers.Pause(node));
        workload.Subscribe();
        workload.Hold(WriteSpan);
        if (workload.SubscriptionReceipts.Count > 0)
        {
            throw new ChaosRunException("the SUBSCRIBE was answered by a paused node");
        }

        var fault = context.Inflict("kill -9", victim, context.Brokers.Kill);
        AwaitRecovery(context, fault);
        workload.Await(() => context.Brokers.Restart(node));
    }
}
