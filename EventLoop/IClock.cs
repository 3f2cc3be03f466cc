namespace EventLoop;

/// <summary>
/// The loop's source of time. Timers run on the monotonic reading so that a change of
/// the wall clock never fires or delays them; <see cref="Loop.Now"/> and
/// <see cref="Loop.Time"/> report the wall reading, as AnyEvent's <c>AE::now</c> and
/// <c>AE::time</c> do.
/// </summary>
public interface IClock
{
    /// <summary>Seconds on a clock that never goes backwards; its origin is arbitrary.</summary>
    double MonotonicSeconds { get; }

    /// <summary>Seconds since the Unix epoch, with a fractional part (Perl's <c>Time::HiRes::time</c>).</summary>
    double WallSeconds { get; }
}
