using System.Globalization;
using EventLoop;
using Stomper.Chaos.Scenarios;

namespace Stomper.Chaos;

/// <summary>
/// Runs one scenario in one mode from a healthy cluster to its figures: a fresh quorum
/// queue, the workload warmed up, the faults, every node back, the stream settled, the
/// queue drained.
/// </summary>
internal sealed class ScenarioRunner(ChaosSettings settings, BrokerControl brokers, TextWriter log)
{
    private const int WarmUpReceipts = 200;

    /// <summary>How long the stream flows on once every node is back, before publishing stops.</summary>
    private const double TailSeconds = 3;

    /// <summary>The longest the run waits for every SEND's callback once publishing stopped; those still uncalled then are counted as never called.</summary>
    private const double AnswerSeconds = 60;

    /// <summary>The longest the run waits for the consumer to catch up before the queue is drained.</summary>
    private const double CatchUpSeconds = 30;

    public Figures Run(Scenario scenario, ChaosMode mode)
    {
        log.WriteLine($"== {scenario.Title} ({scenario.Name}), {mode} mode, seed {settings.Seed}");
        brokers.EnsureHealthy();
        using var loop = new Loop();
        var queue = string.Create(CultureInfo.InvariantCulture, $"stomper-chaos-{scenario.Name}-{mode}-{settings.Seed:x}-{Guid.NewGuid().ToString("N")[..8]}");
        var workload = new Workload(loop, settings, mode, "/amq/queue/" + queue);
        Figures figures;
        try
        {
            // The queue's leader lives on the first active node, the one the faults hit first.
            var first = settings.Nodes.First(n => n.Port == workload.ActivePort);
            QueueSetup.Declare(loop, settings, first, queue);
            var context = new ScenarioContext(workload, brokers, settings, queue, log);
            if (scenario.SubscribesAtStart)
            {
                workload.Subscribe();
                context.Require(() => workload.SubscribedSince(0), 30, "the subscription's first RECEIPT");
            }

            workload.StartPublishing();
            context.Require(() => workload.Ledger.Receipted >= WarmUpReceipts, 60, $"{WarmUpReceipts} receipted SENDs before the first fault");
            context.SettleQueue();
            scenario.Run(context);
            workload.Await(brokers.EnsureHealthy);
            workload.Hold(TailSeconds);
            workload.StopPublishing();
            workload.Until(() => workload.Ledger.Unanswered == 0, AnswerSeconds);
            var neverCalled = workload.Ledger.Unanswered;
            var end = ChaosClock.Now;
            workload.Until(() => workload.Ledger.ReceiptedUnreceived == 0, CatchUpSeconds);

            // Disposed before the drain, so that what it still held goes back to the queue;
            // the callbacks Dispose calls (for SENDs never answered) count as calls.
            workload.Dispose();
            var undrained = QueueSetup.DrainThroughAnyNode(loop, settings, queue, workload.Ledger.Drained);
            figures = Figures.Count(scenario, mode, workload, context.Faults, neverCalled, end);
            figures.Undrained = undrained;
            for (var i = 0; i < context.Faults.Count; i++)
            {
                log.WriteLine(Describe(context.Faults[i], figures.Failovers[i], figures.SubscriptionBack[i], workload));
            }
        }
        finally
        {
            workload.Dispose();
        }

        Report.Print(figures, log);
        return figures;
    }

    /// <summary>One fault's own figures, and what the nodes reported until the stream moved on: the story behind a slow failover.</summary>
    private string Describe(Fault fault, double failover, double resubscribed, Workload workload)
    {
        var from = fault.TimedFrom(workload.Events);
        var until = double.IsNaN(failover) ? from + 5 : from + Math.Max(failover, double.IsNaN(resubscribed) ? 0 : resubscribed) + 0.1;
        // A node reports once per command it cut short: a run of the same report is one line.
        var reports = new List<(string Text, int Count)>();
        foreach (var e in workload.Events.Where(e => e.At >= fault.Started && e.At <= until))
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"{e.At - from:+0.00;-0.00} {(e.Port == 0 ? "on_error" : settings.NodeName(e.Port))} {e.Kind}{(e.Error is { } err ? $" {err.Code}" : string.Empty)}");
            var same = reports.Count > 0 && Unstamped(reports[^1].Text) == Unstamped(text);
            reports.Add(same ? (reports[^1].Text, reports[^1].Count + 1) : (text, 1));
            if (same)
            {
                reports.RemoveAt(reports.Count - 2);
            }
        }

        var victim = fault.VictimPort == 0 ? "every node" : settings.NodeName(fault.VictimPort);
        var back = fault.NodeBack is { } at ? string.Create(CultureInfo.InvariantCulture, $", first node back {at - fault.Started:F1} s after it") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"   {fault.What} of {victim}{back}: failover {failover:F2} s, subscription back {resubscribed:F2} s; reports: {string.Join(", ", reports.Take(12).Select(r => r.Count > 1 ? $"{r.Text} x{r.Count}" : r.Text))}");
    }

    private static string Unstamped(string report) => report[(report.IndexOf(' ', StringComparison.Ordinal) + 1)..];
}
