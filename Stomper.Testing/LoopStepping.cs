using EventLoop;

namespace Stomper.Testing;

/// <summary>Lets time pass on a loop that runs on a <see cref="FakeClock"/>, for tests that step the loop by hand.</summary>
public static class LoopStepping
{
    /// <summary>
    /// Runs <paramref name="loop"/> until idle, then moves its <see cref="FakeClock"/> forward
    /// by <paramref name="seconds"/> in steps of at most <paramref name="step"/> seconds,
    /// running the loop until idle after each: every timer due in that span fires, a
    /// repeating one once per interval, and whatever a timer sets off (a NACK written, a
    /// reconnect) happens before the next step, as it would in real time.
    /// </summary>
    /// <param name="loop">A loop made as <c>new Loop(new FakeClock())</c>.</param>
    /// <param name="seconds">How much time passes; 0 just runs the loop until idle.</param>
    /// <param name="step">The largest single move of the clock; make it smaller than the shortest interval under test.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is negative, NaN or infinite, or <paramref name="step"/> is not above 0 or not finite.</exception>
    /// <exception cref="InvalidOperationException">The loop's clock is not a <see cref="FakeClock"/>.</exception>
    public static void Advance(this Loop loop, double seconds, double step = 0.1)
    {
        ArgumentNullException.ThrowIfNull(loop);
        // NaN compares false with everything and would skip the loop below; an infinite
        // span or step would never reach its end.
        if (!double.IsFinite(seconds) || seconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "Advance needs a finite number of seconds, 0 or above");
        }

        if (!double.IsFinite(step) || step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Advance needs a finite step above 0 seconds");
        }
        var clock = loop.Clock as FakeClock
            ?? throw new InvalidOperationException("Advance needs a loop on a FakeClock: new Loop(new FakeClock())");

        loop.RunPending();

        // Steps end on multiples of step from the start and the last one on the target itself,
        // so a timer due exactly at the end is due, whatever rounding the sums would make.
        var start = clock.MonotonicSeconds;
        var target = start + seconds;
        for (var k = 1; clock.MonotonicSeconds < target; k++)
        {
            var next = Math.Min(start + (k * step), target);
            clock.Advance(Math.Max(0, next - clock.MonotonicSeconds));
            loop.RunPending();
        }
    }
}
