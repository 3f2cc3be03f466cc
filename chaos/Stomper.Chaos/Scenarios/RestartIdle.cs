namespace Stomper.Chaos.Scenarios;

/// <summary>
/// The active node restarted (gracefully stopped, started again) while nothing flows but
/// heart-beats; publishing resumes as soon as the client has seen the node go.
/// </summary>
internal sealed class RestartIdle : Scenario
{
    public override string Name => "restart-idle";

    public override string Title => "the active node restarted while idle";

    public override void Run(ScenarioContext context)
    {
        var workload = context.Workload;
        workload.StopPublishing();
        context.Require(() => workload.Ledger.Unanswered == 0 && workload.Ledger.ReceiptedUnreceived == 0, 60, "the stream going idle");
        // Idle for a few heart-beat periods before the fault.
        workload.Hold(3);
        var victim = workload.ActivePort;
        var (fault, restart) = context.Begin("graceful restart", victim, context.Brokers.Restart);
        context.Require(() => workload.Events.Any(e => e.At >= fault.Started && e.Port == victim && e.Kind is "error" or "disconnect"), 60,
            "the client seeing the node go");
        workload.StartPublishing();
        AwaitRecovery(context, fault);
        workload.Await(restart);
    }
}
