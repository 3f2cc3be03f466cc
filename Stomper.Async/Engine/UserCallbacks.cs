using System.Collections.Concurrent;

namespace Stomper.Async.Engine;

/// <summary>
/// Runs the user's connection callbacks and events off the loop's thread, one at a time
/// and in the order the loop raised them, so that a slow or blocking one holds back
/// neither heart-beats nor messages.
/// </summary>
internal sealed class UserCallbacks
{
    private readonly ConcurrentQueue<Action> _queue = new();
    private readonly Action<Exception> _onException;
    private int _running;

    /// <param name="onException">What a callback that throws is reported to (it must not throw).</param>
    public UserCallbacks(Action<Exception> onException) => _onException = onException;

    /// <summary>Queues a call; from the loop's thread.</summary>
    public void Raise(Action call)
    {
        _queue.Enqueue(call);
        if (Interlocked.Exchange(ref _running, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.RunQueued(), this, preferLocal: false);
        }
    }

    private void RunQueued()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var call))
            {
                try
                {
                    call();
                }
                catch (Exception e)
                {
                    _onException(e);
                }
            }

            Volatile.Write(ref _running, 0);

            // Queued after the last look and before the flag came down: take it ourselves.
            if (_queue.IsEmpty || Interlocked.Exchange(ref _running, 1) != 0)
            {
                return;
            }
        }
    }
}
