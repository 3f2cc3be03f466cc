namespace Stomper;

/// <summary>
/// How a client keeps trying to reach a server through an outage (beyond the original,
/// which tries each node once in a row and then gives up at once): exponential backoff
/// with full jitter, a cap, and an optional limit on the attempts. The cluster takes it
/// as <c>ClusterOptions.ReconnectPolicy</c>; null there keeps the original's behaviour.
/// </summary>
/// <remarks>
/// <para>An attempt is one node tried. A cluster tries its nodes one after the other
/// without pausing; once every node has failed in a row (one round), it waits
/// <see cref="Delay"/> before the next round: a random time from zero to
/// <c>min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> * <see cref="Multiplier"/>^(round - 1))</c>
/// ("full jitter", so that many clients cut off by one outage do not come back in step).
/// The count starts afresh once a node answers CONNECTED.</para>
/// <para>The defaults (100 ms, doubling, capped at 1.5 s, unbounded) bring a consumer
/// back within two seconds of the first node returning, however long the outage was: the
/// wait under way when the node returns is at most 1.5 s, and the round after it needs a
/// connect and a login. Brokers hear from an idle client about once every 0.75 s per
/// node on average during an outage.</para>
/// </remarks>
public sealed class ReconnectPolicy
{
    /// <summary>The ceiling of the first wait (after the first failed round); positive. Default 100 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How much the ceiling grows from one round to the next; at least 1. Default 2.</summary>
    public double Multiplier { get; init; } = 2;

    /// <summary>The cap on the ceiling, whatever the round; at least <see cref="BaseDelay"/>. Default 1.5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// How many node attempts may fail in a row before the client gives up: what waits for a
    /// node (live subscriptions included) then fails with the last attempt's error. Null (the
    /// default): never give up. At least 1.
    /// </summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// How many commands the application may issue while no node answers (during a backoff,
    /// or while a round's node attempts are under way) and have waiting for a round without
    /// an answer yet; one more fails, once it would wait, with
    /// <see cref="ErrorCode.E_CANT_CONN"/>. What the cluster runs again of its own accord
    /// (a SEND or BEGIN a failed node cut short, the send journal's SENDs, the subscriptions
    /// being kept) is not counted: it was admitted when a node answered. At least 1.
    /// Default 10,000.
    /// </summary>
    public int MaxWaitingCommands { get; init; } = 10_000;

    /// <summary>The wait before round <paramref name="round"/> + 1, drawn from <paramref name="random"/>: uniform from zero to <see cref="Ceiling"/>.</summary>
    /// <param name="round">How many rounds have failed in a row so far, from 1.</param>
    /// <param name="random">The source of the jitter (a cluster passes its <c>ClusterOptions.Random</c>).</param>
    public TimeSpan Delay(int round, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return TimeSpan.FromTicks((long)(random.NextDouble() * Ceiling(round).Ticks));
    }

    /// <summary>The longest wait before round <paramref name="round"/> + 1: <c>min(MaxDelay, BaseDelay * Multiplier^(round - 1))</c>.</summary>
    /// <param name="round">How many rounds have failed in a row so far, from 1.</param>
    public TimeSpan Ceiling(int round)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 1);

        // In doubles: the power overflows to infinity long before the cap stops mattering.
        var ticks = Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(Multiplier, round - 1));
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Throws the first value that makes no policy, in the constructor of whatever takes it.</summary>
    internal void Check()
    {
        if (BaseDelay <= TimeSpan.Zero)
        {
            throw Errors.PolicyValueInvalid(nameof(BaseDelay), "a positive duration");
        }

        if (!(Multiplier >= 1) || double.IsInfinity(Multiplier))
        {
            throw Errors.PolicyValueInvalid(nameof(Multiplier), "a finite number of at least 1");
        }

        if (MaxDelay < BaseDelay)
        {
            throw Errors.PolicyValueInvalid(nameof(MaxDelay), "at least BaseDelay");
        }

        if (MaxAttempts is < 1)
        {
            throw Errors.PolicyValueInvalid(nameof(MaxAttempts), "null (no limit) or at least 1");
        }

        if (MaxWaitingCommands < 1)
        {
            throw Errors.PolicyValueInvalid(nameof(MaxWaitingCommands), "at least 1");
        }
    }
}
