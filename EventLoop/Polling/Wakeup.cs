namespace EventLoop;

/// <summary>
/// Lets another thread interrupt the loop's wait: a descriptor in the wait's set that
/// <see cref="Signal"/> makes readable. At most one signal is in flight per sleep: posts
/// made while one is pending cost no system call. The backend supplies the descriptor
/// (<see cref="EventFdWakeup"/> for epoll, <see cref="DatagramWakeup"/> for select).
/// </summary>
internal abstract class Wakeup : IDisposable
{
    private int _pending;

    /// <summary>True when no signal is waiting to be drained.</summary>
    public bool IsIdle => Volatile.Read(ref _pending) == 0;

    /// <summary>Called from any thread after queueing work.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            try
            {
                Send();
            }
            catch (ObjectDisposedException)
            {
                // The loop is gone; nobody is left to wake.
            }
        }
    }

    /// <summary>
    /// Called on the loop thread after the wait and before it looks at the queue. The
    /// signal is drained first and the flag cleared after: a post that slips in between
    /// signals afresh, which wakes the next wait. (Clearing the flag first would let the
    /// drain swallow that signal while the flag stays set, and every later post would then
    /// skip its signal: a loop asleep with work queued.)
    /// </summary>
    public void Reset()
    {
        Drain();
        Volatile.Write(ref _pending, 0);
    }

    public abstract void Dispose();

    /// <summary>Makes the descriptor readable; any thread.</summary>
    protected abstract void Send();

    /// <summary>Makes the descriptor unreadable again; the loop's thread.</summary>
    protected abstract void Drain();
}
