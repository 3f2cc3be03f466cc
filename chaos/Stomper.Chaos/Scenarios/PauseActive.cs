namespace Stomper.Chaos.Scenarios;

/// <summary>SIGSTOP of the active node for <see cref="ChaosSettings.PauseSeconds"/>, then SIGCONT and a healed cluster.</summary>
internal sealed class PauseActive : Scenario
{
    public override string Name => "pause-active";

    public override string Title => "SIGSTOP the active node 10 s";

    public override bool IsPause => true;

    public override void Run(ScenarioContext context)
    {
        var workload = context.Workload;
        var victim = workload.ActivePort;
        var fault = context.Inflict("SIGSTOP", victim, context.Brokers.Pause, clientSeesAtOnce: false);
        workload.Hold(context.Settings.PauseSeconds);
        workload.Await(() => context.Brokers.Resume(context.Settings.NodeName(victim)));
        // A pause this long may split the cluster: start returns once it has healed.
        workload.Await(context.Brokers.EnsureHealthy);
        AwaitRecovery(context, fault);
    }
}
