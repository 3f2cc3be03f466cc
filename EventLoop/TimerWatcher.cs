namespace EventLoop;

/// <summary>
/// A one-shot or repeating timer (AnyEvent's <c>AE::timer $after, $interval, $cb</c>).
/// Created by <see cref="Loop.Timer"/>.
/// </summary>
public sealed class TimerWatcher : Watcher
{
    private readonly Action _callback;

    internal TimerWatcher(Loop loop, double interval, Action callback)
        : base(loop)
    {
        Interval = interval;
        _callback = callback;
    }

    /// <summary>Seconds between repeats; 0 for a one-shot timer.</summary>
    public double Interval { get; }

    /// <summary>The monotonic time at which the timer is next due.</summary>
    internal double Due { get; set; }

    /// <summary>True while the timer has a live entry in the loop's queue.</summary>
    internal bool Queued { get; set; }

    /// <summary>Bumped on every (re)schedule so that a stale queue entry is recognised and skipped.</summary>
    internal long Generation { get; set; }

    /// <summary>The user's callback, handed to the loop as it is: a method group here would allocate a delegate per call.</summary>
    internal Action Callback => _callback;

    /// <summary>
    /// Re-arms the timer to fire <paramref name="after"/> seconds from the loop's now,
    /// without allocating a new watcher; used for activity-checked timeouts.
    /// </summary>
    internal void Restart(double after) => Loop.Schedule(this, after);

    private protected override void OnDisposed() => Loop.Unschedule(this);
}
