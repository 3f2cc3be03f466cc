using System.Globalization;
using Stomper.Chaos.Scenarios;

namespace Stomper.Chaos;

/// <summary>
/// Issue 14's targets for the reliable mode: nothing receipted lost, every SEND's callback
/// called exactly once, no duplicate reaching the application, failover after kill -9 under
/// a second, the subscription back within 2 s of a node returning after a full outage, and
/// a paused node stalling the stream no longer than the receipt timeout allows (the client
/// gives up a node that holds its RECEIPTs; the broker may hold the queue longer, which no
/// client can shorten).
/// </summary>
internal static class Targets
{
    public const double KillFailoverSeconds = 1;
    public const double ResubscribeAfterOutageSeconds = 2;

    /// <summary>
    /// What must hold in any mode, the original's included (the figures of issue 14 show
    /// it does): no receipted message lost, every callback called exactly once, and no
    /// message the run never sent.
    /// </summary>
    public static IEnumerable<string> Invariants(Figures figures)
    {
        if (figures.ReceiptedLost > 0)
        {
            yield return $"{figures.ReceiptedLost} receipted SENDs lost";
        }

        if (figures.NeverCalled > 0)
        {
            yield return $"{figures.NeverCalled} SEND callbacks never called";
        }

        if (figures.CalledTwice > 0)
        {
            yield return $"{figures.CalledTwice} SEND callbacks called more than once";
        }

        if (figures.NotDeliveredButArrived > 0)
        {
            yield return $"{figures.NotDeliveredButArrived} SENDs reported certainly not delivered arrived";
        }

        if (figures.Foreign > 0)
        {
            yield return $"{figures.Foreign} messages this run never sent";
        }
    }

    /// <summary>Every target that applies to <paramref name="scenario"/>, missed ones named; <paramref name="stallBound"/> is the longest the pause may stall the stream.</summary>
    public static IEnumerable<string> Missed(Figures figures, Scenario scenario, double stallBound)
    {
        foreach (var missed in Invariants(figures))
        {
            yield return missed;
        }

        if (figures.Duplicates > 0)
        {
            yield return $"{figures.Duplicates} duplicates delivered to the application";
        }

        if (scenario.IsKill && figures.Failovers.Any(f => !(f < KillFailoverSeconds)))
        {
            yield return $"failover after kill -9 not under {KillFailoverSeconds} s: {Report.Seconds(figures.Failovers)}";
        }

        if (scenario.IsOutage && figures.SubscriptionBack.Any(s => !(s <= ResubscribeAfterOutageSeconds)))
        {
            yield return $"subscription not back within {ResubscribeAfterOutageSeconds} s of a node returning: {Report.Seconds(figures.SubscriptionBack)}";
        }

        if (scenario.IsPause && !(figures.LongestStall <= stallBound))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"the stream stalled {figures.LongestStall:F1} s on a node, beyond the receipt timeout's bound of {stallBound:F1} s");
        }
    }
}
