using System.Globalization;

namespace Stomper.Chaos;

/// <summary>What a scenario's script works with: the workload, the brokers, and the faults it records.</summary>
internal sealed class ScenarioContext(Workload workload, BrokerControl brokers, ChaosSettings settings, string queue, TextWriter log)
{
    public Workload Workload { get; } = workload;

    public BrokerControl Brokers { get; } = brokers;

    public ChaosSettings Settings { get; } = settings;

    public List<Fault> Faults { get; } = [];

    /// <summary>
    /// Runs the loop until the scenario's quorum queue is fully redundant again (a leader, every
    /// member holding the log up to the leader's commit index, every node with the queue on its
    /// disk), so that the next fault hits one member of a healthy queue. Without it a kill could
    /// land while the last victim's member was still catching up, leaving the queue without
    /// quorum: no RECEIPT on any node until it has caught up, whatever the client does. And a
    /// full outage within seconds of the declaration lost the queue: its record and its Ra
    /// members' registration were not yet on disk (docs/chaos.md).
    /// </summary>
    public void SettleQueue()
    {
        var started = ChaosClock.Now;
        Workload.Await(() => Brokers.SettleQueue(queue));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {ChaosClock.Now:F2} s: the queue settled in {ChaosClock.Now - started:F2} s"));
        log.Flush();
    }

    /// <summary>Runs <paramref name="command"/> on the victim's node name (rabbit1..3) while the loop turns, recording the fault.</summary>
    public Fault Inflict(string what, int victimPort, Action<string> command, bool clientSeesAtOnce = true)
    {
        var (fault, running) = Begin(what, victimPort, command, clientSeesAtOnce);
        Workload.Await(running);
        return fault;
    }

    /// <summary>Starts <paramref name="command"/> on a worker thread and returns at once: await the task later.</summary>
    public (Fault Fault, Task Running) Begin(string what, int victimPort, Action<string> command, bool clientSeesAtOnce = true)
    {
        var fault = new Fault(what, victimPort, ChaosClock.Now, clientSeesAtOnce);
        Faults.Add(fault);
        var name = victimPort == 0 ? string.Empty : Settings.NodeName(victimPort);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {fault.Started:F2} s: {what} of {(victimPort == 0 ? "every node" : name)} ({Workload.Ledger.Issued} SENDs issued so far)"));
        log.Flush();
        var running = Task.Run(() =>
        {
            command(name);
            fault.Ended = ChaosClock.Now;
        });
        return (fault, running);
    }

    /// <summary>True once a RECEIPT shows the stream past the fault (<see cref="Fault.IsPast"/>).</summary>
    public bool StreamMovedOn(Fault fault)
    {
        var receipts = Workload.SendReceipts;
        var from = fault.TimedFrom(Workload.Events);
        for (var i = receipts.Count - 1; i >= 0 && receipts[i].At > from; i--)
        {
            if (fault.IsPast(receipts[i], from))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs the loop until <paramref name="condition"/> holds; a scenario step that must happen, so its absence ends the run.</summary>
    public void Require(Func<bool> condition, double seconds, string what)
    {
        if (!Workload.Until(condition, seconds))
        {
            throw new ChaosRunException($"{what} did not happen within {seconds} s");
        }
    }
}
