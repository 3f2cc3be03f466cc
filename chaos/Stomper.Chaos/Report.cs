using System.Globalization;

namespace Stomper.Chaos;

/// <summary>The figures in words after each scenario, and the closing markdown table.</summary>
internal static class Report
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static void Print(Figures f, TextWriter log)
    {
        log.WriteLine(string.Create(s_invariant, $"   SENDs issued {f.Issued}, receipted {f.Receipted}, failed {Failed(f)}"));
        log.WriteLine(string.Create(s_invariant, $"   callbacks never called {f.NeverCalled}, called twice {f.CalledTwice}; longest wait for an outcome {f.MaxSendWait:F2} s, longest stall {f.LongestStall:F2} s"));
        log.WriteLine(string.Create(s_invariant, $"   distinct received {f.DistinctReceived}, duplicates {f.Duplicates} (dropped by the client {f.DuplicatesDropped}), left in the queue {(f.Undrained is null ? f.LeftInQueue : "unknown")}, receipted but lost {f.ReceiptedLost}, failed in doubt {f.FailedInDoubt}, failed but arrived {f.FailedButArrived} (said not delivered: {f.NotDeliveredButArrived}){(f.Foreign > 0 ? $", NEVER SENT {f.Foreign}" : string.Empty)}"));
        log.WriteLine($"   failover {Seconds(f.Failovers)}; subscription back {Back(f)}; RSS {f.RssMiB:F0} MiB");
        if (f.Undrained is { } why)
        {
            log.WriteLine($"   the queue could not be drained: {why}");
        }

        if (f.SubscriptionErrors.Count > 0)
        {
            log.WriteLine($"   the subscription's on_receipt heard {f.SubscriptionErrors.Count} errors, the last: {f.SubscriptionErrors[^1]}");
        }
        log.Flush();
    }

    /// <summary>The closing table, one row per scenario and mode (the issue's note carries it).</summary>
    public static void Table(IEnumerable<Figures> all, TextWriter log)
    {
        log.WriteLine();
        log.WriteLine("| scenario | mode | SENDs issued | receipted | failed (by code) | callbacks never / twice | distinct received | duplicates | left in queue | receipted but lost | failed but arrived | failover | subscription back | longest SEND wait / stall | RSS | targets |");
        log.WriteLine("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|");
        foreach (var f in all)
        {
            var targets = f.Missed.Count > 0 ? "**missed: " + string.Join("; ", f.Missed) + "**" : "met";
            log.WriteLine(string.Create(s_invariant,
                $"| {f.Title} | {f.Mode} | {f.Issued} | {f.Receipted} | {Failed(f)} | {f.NeverCalled} / {f.CalledTwice} | {f.DistinctReceived} | {f.Duplicates} | {(f.Undrained is null ? f.LeftInQueue.ToString(s_invariant) : "not drained")} | {f.ReceiptedLost} | {f.FailedButArrived} | {Seconds(f.Failovers)} | {Back(f)} | {f.MaxSendWait:F1} s / {f.LongestStall:F1} s | {f.RssMiB:F0} MiB | {(f.Mode == "original" ? "-" : targets)} |"));
        }

        log.Flush();
    }

    /// <summary>A list of durations as one figure or a range, with how many never ended ("none" when none did).</summary>
    public static string Seconds(IReadOnlyList<double> seconds)
    {
        var done = seconds.Where(s => !double.IsNaN(s)).ToList();
        var missing = seconds.Count - done.Count;
        if (seconds.Count == 0)
        {
            return "-";
        }

        if (done.Count == 0)
        {
            return "none";
        }

        var range = done.Count == 1 || done.Min() == done.Max()
            ? string.Create(s_invariant, $"{done[0]:F2} s")
            : string.Create(s_invariant, $"{done.Min():F2}-{done.Max():F2} s");
        return missing > 0 ? $"{range} ({missing} of {seconds.Count} never)" : range;
    }

    private static string Back(Figures f)
    {
        var when = Seconds(f.SubscriptionBack);
        return when switch
        {
            "-" => "-",
            "none" => "**no**",
            _ => f.Scenario == "full-outage" ? $"yes, {when} after a node returned" : $"yes, {when}",
        };
    }

    private static string Failed(Figures f) => f.FailedByCode.Count == 0
        ? "0"
        : string.Create(s_invariant, $"{f.FailedByCode.Values.Sum()} ({string.Join(", ", f.FailedByCode.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))})");
}
