using System.Collections.Concurrent;
using EventLoop;

namespace Stomper.Async.Engine;

/// <summary>
/// The one way from the callers' threads to the loop's: work queued here runs on the
/// loop's thread, and many pieces queued while the loop is busy cost one
/// <see cref="Loop.Post"/> (one wake-up) between them.
/// </summary>
/// <remarks>
/// The loop is the client's own (a thread of its own runs it until <see cref="CloseAsync"/>)
/// or the caller's (the caller runs it). Either way it is the only thread that touches the
/// engine, as docs/design.md requires.
/// </remarks>
internal sealed class LoopBridge
{
    /// <summary>At most this much work per pass, so a busy producer cannot starve timers and sockets.</summary>
    private const int BatchLimit = 4096;

    private readonly ConcurrentQueue<ILoopWork> _queue = new();
    private readonly Action _drain;
    private readonly Thread? _thread;
    private int _scheduled;
    private volatile bool _closed;

    public LoopBridge(Loop? given)
    {
        _drain = Drain;
        if (given is not null)
        {
            Loop = given;
            return;
        }

        Loop = new Loop();
        OwnsLoop = true;
        _thread = new Thread(RunOwnLoop) { IsBackground = true, Name = "Stomper.Async loop" };
    }

    public Loop Loop { get; }

    public bool OwnsLoop { get; }

    /// <summary>Starts the loop's own thread, once the engine is built on it.</summary>
    public void Start() => _thread?.Start();

    /// <summary>Queues work for the loop; from any thread.</summary>
    public void Enqueue(ILoopWork work)
    {
        _queue.Enqueue(work);
        if (_closed)
        {
            // Closed meanwhile: the loop may never drain again, so answer what is left here.
            AbandonQueued();
            return;
        }

        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            try
            {
                Loop.Post(_drain);
            }
            catch (ObjectDisposedException)
            {
                // The loop is gone for good: no drain will ever come, for this work or later.
                _closed = true;
                AbandonQueued();
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop and reports its end; for the rare calls (connect, subscribe, close).</summary>
    public Task RunAsync(Action action)
    {
        var work = new ActionWork(action);
        Enqueue(work);
        return work.Task;
    }

    /// <summary>
    /// Runs <paramref name="teardown"/> on the loop, then stops and releases the loop if it
    /// is the client's own; work queued after that is answered with an error.
    /// </summary>
    public async Task CloseAsync(Action teardown)
    {
        try
        {
            await RunAsync(teardown).ConfigureAwait(false);
        }
        finally
        {
            _closed = true;
            if (OwnsLoop)
            {
                try
                {
                    Loop.Post(Loop.Stop);
                }
                catch (ObjectDisposedException)
                {
                }

                // The thread ends its run, then disposes the loop it owns.
                await Task.Run(() => _thread!.Join()).ConfigureAwait(false);
            }

            AbandonQueued();
        }
    }

    private void RunOwnLoop()
    {
        try
        {
            Loop.Run();
        }
        finally
        {
            Loop.Dispose();
        }
    }

    private void Drain()
    {
        // Cleared before draining: work queued from now on either is taken below or posts
        // a drain of its own, so none waits for a wake-up that never comes.
        Volatile.Write(ref _scheduled, 0);
        for (var i = 0; i < BatchLimit && _queue.TryDequeue(out var work); i++)
        {
            work.Run();
        }

        if (!_queue.IsEmpty && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            Loop.Post(_drain);
        }
    }

    private void AbandonQueued()
    {
        while (_queue.TryDequeue(out var work))
        {
            work.Abandon(new ObjectDisposedException(nameof(AsyncStomperClient)));
        }
    }

    /// <summary>A one-off action on the loop, with its end as a task.</summary>
    private sealed class ActionWork(Action action) : ILoopWork
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Task => _done.Task;

        public void Run()
        {
            try
            {
                action();
                _done.TrySetResult();
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
            }
        }

        public void Abandon(Exception error) => _done.TrySetException(error);
    }
}
