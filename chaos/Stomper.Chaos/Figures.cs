using Stomper.Chaos.Scenarios;

namespace Stomper.Chaos;

/// <summary>What one scenario in one mode came to: the figures the closing table carries.</summary>
internal sealed class Figures
{
    public required string Scenario { get; init; }

    public required string Title { get; init; }

    public required string Mode { get; init; }

    public int Issued { get; init; }

    public int Receipted { get; init; }

    /// <summary>Failed SENDs by error code (the first callback's).</summary>
    public required IReadOnlyDictionary<ErrorCode, int> FailedByCode { get; init; }

    /// <summary>SENDs whose callback had not been called when the stream had long settled.</summary>
    public int NeverCalled { get; init; }

    public int CalledTwice { get; init; }

    /// <summary>Distinct ids the application received.</summary>
    public int DistinctReceived { get; init; }

    /// <summary>Deliveries to the application beyond the first of each id.</summary>
    public int Duplicates { get; init; }

    /// <summary>Ids the closing drain found in the queue, not received by the application.</summary>
    public int LeftInQueue { get; init; }

    /// <summary>Why the closing drain could not take the queue (null when it did): nothing left in it is known then.</summary>
    public string? Undrained { get; set; }

    /// <summary>Receipted ids neither the application nor the drain ever saw.</summary>
    public int ReceiptedLost { get; init; }

    /// <summary>SENDs reported failed whose message arrived all the same (received or drained): the in-doubt ones that had reached the broker.</summary>
    public int FailedButArrived { get; init; }

    /// <summary>Failed SENDs whose error said they may have been delivered (<see cref="StompError.MayHaveBeenDelivered"/>).</summary>
    public int FailedInDoubt { get; init; }

    /// <summary>Failed SENDs whose error said they certainly were not delivered, yet arrived: a wrong outcome.</summary>
    public int NotDeliveredButArrived { get; init; }

    /// <summary>Messages the cluster's deduplication windows dropped (<see cref="Stomper.Cluster.StomperCluster.DuplicatesDropped"/>).</summary>
    public long DuplicatesDropped { get; init; }

    /// <summary>Deliveries of ids this run never issued (a harness fault if ever above 0).</summary>
    public int Foreign { get; init; }

    /// <summary>Per fault, seconds from the fault to the first RECEIPT past it (<see cref="Fault.IsPast"/>): through another node, or of a SEND issued since; NaN when none came.</summary>
    public required IReadOnlyList<double> Failovers { get; init; }

    /// <summary>Per fault, seconds from the fault (after a full outage: from the first node back) to the subscription's next RECEIPT; NaN when it never came.</summary>
    public required IReadOnlyList<double> SubscriptionBack { get; init; }

    /// <summary>What the subscription's <c>on_receipt</c> heard besides RECEIPTs (lost on a node, given up), in order.</summary>
    public required IReadOnlyList<string> SubscriptionErrors { get; init; }

    /// <summary>The longest any SEND waited for its callback (to the end of the run for one never called).</summary>
    public double MaxSendWait { get; init; }

    /// <summary>
    /// The longest stretch with a SEND waiting and nothing moving: no SEND answered and no
    /// node reporting anything. It is how long the client sat on a node that held its
    /// RECEIPTs (a paused broker, a queue without a leader) before giving that node up.
    /// </summary>
    public double LongestStall { get; init; }

    /// <summary>The process's resident set at the end of the scenario, in MiB.</summary>
    public double RssMiB { get; init; }

    /// <summary>The targets of the mode missed (empty in a mode without targets).</summary>
    public List<string> Missed { get; } = [];

    /// <summary>Counts the ledger and the events of a finished scenario.</summary>
    public static Figures Count(Scenario scenario, ChaosMode mode, Workload workload, IReadOnlyList<Fault> faults, int neverCalled, double end)
    {
        var entries = workload.Ledger.Entries;
        var failed = entries.Where(e => e.Callbacks > 0 && e.Error is not null).ToList();
        return new Figures
        {
            Scenario = scenario.Name,
            Title = scenario.Title,
            Mode = mode.Name,
            Issued = entries.Count,
            Receipted = workload.Ledger.Receipted,
            FailedByCode = failed.GroupBy(e => e.Error!.Code).ToDictionary(g => g.Key, g => g.Count()),
            NeverCalled = neverCalled,
            CalledTwice = entries.Count(e => e.Callbacks > 1),
            DistinctReceived = entries.Count(e => e.Deliveries > 0),
            Duplicates = entries.Sum(e => Math.Max(0, e.Deliveries - 1)),
            LeftInQueue = entries.Count(e => e.Drained && e.Deliveries == 0),
            ReceiptedLost = entries.Count(e => e.Callbacks > 0 && e.Error is null && e.Deliveries == 0 && !e.Drained),
            FailedButArrived = failed.Count(e => e.Deliveries > 0 || e.Drained),
            FailedInDoubt = failed.Count(e => e.Error!.MayHaveBeenDelivered),
            NotDeliveredButArrived = failed.Count(e => !e.Error!.MayHaveBeenDelivered && (e.Deliveries > 0 || e.Drained)),
            DuplicatesDropped = workload.Cluster.DuplicatesDropped,
            Foreign = workload.Ledger.Foreign,
            Failovers = [.. faults.Select(f => Failover(f, workload))],
            SubscriptionBack = [.. faults.Select(f => Resubscribed(f, workload))],
            SubscriptionErrors = [.. workload.SubscriptionReceipts.Where(r => r.Error is not null).Select(r => $"{r.Error!.Code}: {r.Error.Message}")],
            MaxSendWait = entries.Count == 0 ? 0 : entries.Max(e => (e.Callbacks > 0 ? e.AnsweredAt : end) - e.IssuedAt),
            LongestStall = Stall(workload, end),
            RssMiB = Environment.WorkingSet / (1024.0 * 1024.0),
        };
    }

    private static double Stall(Workload workload, double end)
    {
        // Every moment something moved, in order. A gap between two of them stalls from its
        // start when a SEND issued by then was still unanswered at its end, else from the
        // earliest SEND issued within it that was.
        var entries = workload.Ledger.Entries;
        var moves = entries.Where(e => e.Callbacks > 0).Select(e => e.AnsweredAt)
            .Concat(workload.Events.Select(e => e.At)).Append(end).Order().ToList();
        var sends = entries.Select(e => (e.IssuedAt, Answered: e.Callbacks > 0 ? e.AnsweredAt : double.PositiveInfinity)).OrderBy(e => e.IssuedAt).ToList();
        var longest = 0.0;
        var next = 0;
        var latestAnswer = double.NegativeInfinity;
        for (var i = 1; i < moves.Count; i++)
        {
            var (from, to) = (moves[i - 1], moves[i]);
            for (; next < sends.Count && sends[next].IssuedAt <= from; next++)
            {
                latestAnswer = Math.Max(latestAnswer, sends[next].Answered);
            }

            if (latestAnswer >= to)
            {
                longest = Math.Max(longest, to - from);
                continue;
            }

            for (var j = next; j < sends.Count && sends[j].IssuedAt < to; j++)
            {
                if (sends[j].Answered >= to)
                {
                    longest = Math.Max(longest, to - sends[j].IssuedAt);
                    break;
                }
            }
        }

        return longest;
    }

    private static double Failover(Fault fault, Workload workload)
    {
        var from = fault.TimedFrom(workload.Events);
        foreach (var receipt in workload.SendReceipts)
        {
            if (fault.IsPast(receipt, from))
            {
                return Math.Max(0, receipt.At - from);
            }
        }

        return double.NaN;
    }

    private static double Resubscribed(Fault fault, Workload workload)
    {
        var from = fault.TimedFrom(workload.Events);
        var receipt = workload.SubscriptionReceipts.FirstOrDefault(r => r.Error is null && r.At > fault.Started);
        return receipt == default ? double.NaN : Math.Max(0, receipt.At - from);
    }
}
