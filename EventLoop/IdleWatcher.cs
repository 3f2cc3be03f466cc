namespace EventLoop;

/// <summary>
/// Called on every pass of the loop in which nothing else happened: no timer was due,
/// no socket was ready, nothing was posted (AnyEvent's <c>AE::idle</c>). While one
/// exists the loop does not sleep.
/// </summary>
public sealed class IdleWatcher : Watcher
{
    private readonly Action _callback;

    internal IdleWatcher(Loop loop, Action callback)
        : base(loop)
    {
        _callback = callback;
    }

    /// <summary>The user's callback, handed to the loop as it is: a method group here would allocate a delegate per call.</summary>
    internal Action Callback => _callback;

    private protected override void OnDisposed() => Loop.RemoveIdle(this);
}
