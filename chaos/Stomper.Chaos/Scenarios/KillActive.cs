namespace Stomper.Chaos.Scenarios;

/// <summary>kill -9 of the active node mid-stream, <paramref name="times"/> times; each victim is restarted into the cluster, and its member of the queue has caught up, before the next kill.</summary>
internal sealed class KillActive(int times) : Scenario
{
    public override string Name => "kill-active";

    public override string Title => times == 1 ? "kill -9 the active node mid-stream" : $"kill -9 the active node, {times} times mid-stream";

    public override bool IsKill => true;

    public override void Run(ScenarioContext context)
    {
        var workload = context.Workload;
        for (var i = 0; i < times; i++)
        {
            if (i > 0)
            {
                context.SettleQueue();
            }

            var victim = workload.ActivePort;
            var fault = context.Inflict("kill -9", victim, context.Brokers.Kill);
            AwaitRecovery(context, fault);
            workload.Await(() => context.Brokers.Restart(context.Settings.NodeName(victim)));
        }
    }
}
