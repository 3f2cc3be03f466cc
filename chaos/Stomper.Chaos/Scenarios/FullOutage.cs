namespace Stomper.Chaos.Scenarios;

/// <summary>
/// All three nodes killed (kill -9) at once and kept down for
/// <see cref="ChaosSettings.OutageSeconds"/>, then started together with their data; the
/// first node to answer a STOMP CONNECT marks the return.
/// </summary>
internal sealed class FullOutage : Scenario
{
    public override string Name => "full-outage";

    public override string Title => "all three nodes stopped 20 s, then back";

    public override bool IsOutage => true;

    public override void Run(ScenarioContext context)
    {
        var workload = context.Workload;
        var settings = context.Settings;
        var fault = context.Inflict("kill -9", 0, _ =>
            Parallel.ForEach(settings.Nodes, node => context.Brokers.Kill(settings.NodeName(node.Port))));
        workload.Hold(settings.OutageSeconds);
        var restart = Task.Run(context.Brokers.RestartRabbits);
        var probe = Task.Run(() => NodeProbe.FirstAnswer(settings.Nodes, settings.Login, settings.Passcode, 300));
        workload.Await(probe);
        fault.NodeBack = probe.Result.At;
        workload.Await(restart);
        workload.Until(() => context.StreamMovedOn(fault) && workload.SubscribedSince(fault.NodeBack.Value), 30);
    }
}
