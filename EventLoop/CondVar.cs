namespace EventLoop;

/// <summary>
/// A condition variable as in AnyEvent (<c>AE::cv</c>): one side calls
/// <see cref="Send"/> (or <see cref="Croak(Exception)"/>), the other waits with
/// <see cref="Recv"/>, which runs the loop on the calling thread until then.
/// <see cref="Begin"/>/<see cref="End"/> count outstanding work and send when it
/// drops to zero.
/// </summary>
/// <remarks>
/// Perl has no threads; here <see cref="Send"/>, <see cref="Croak(Exception)"/>,
/// <see cref="Recv"/> and <see cref="Ready"/> may be used from any thread, which makes a
/// condition variable the way to pass a result between the loop's thread and another. A
/// send from any thread makes the variable ready at once and wakes every waiter; only
/// <see cref="Cb"/> waits for the loop's thread. <see cref="Begin"/>, <see cref="End"/>
/// and setting <see cref="Cb"/> belong to the loop's thread (see
/// <see cref="Loop.VerifyAccess"/>).
/// </remarks>
public sealed class CondVar
{
    // .NET tells no one when a thread ends: a thread waiting for the loop's owner looks
    // this often whether it has, and is woken at once for everything else.
    private const int OwnerCheckMilliseconds = 200;
    private readonly Loop _loop;

    // Guards the result and wakes the threads waiting for it (Monitor.Wait/PulseAll).
    private readonly object _gate = new();
    private object?[] _values = [];
    private Exception? _croak;
    private Action<CondVar>? _callback;
    private Action<CondVar>? _groupCallback;
    private int _counter;
    private volatile bool _ready;

    // A send from another thread left Cb to the loop's thread; cleared when it runs, or
    // when setting Cb meanwhile called the new callback instead (under _gate).
    private volatile bool _callbackPosted;

    internal CondVar(Loop loop, Action<CondVar>? callback)
    {
        _loop = loop;
        _callback = callback;
    }

    /// <summary>True once sent or croaked (<c>$cv-&gt;ready</c>), on every thread as soon as <see cref="Send"/> has returned on any.</summary>
    public bool Ready => _ready;

    /// <summary>
    /// The callback called (on the loop thread) with this condition variable when it
    /// becomes ready (<c>$cv-&gt;cb</c>). Setting it on a ready variable calls it at once,
    /// and it is then not called again for the send that made the variable ready.
    /// </summary>
    public Action<CondVar>? Cb
    {
        get => _callback;
        set
        {
            _loop.VerifyAccess();
            bool ready;
            lock (_gate)
            {
                _callback = value;
                ready = _ready;
                _callbackPosted = false;
            }

            if (ready)
            {
                value?.Invoke(this);
            }
        }
    }

    /// <summary>
    /// Marks the variable ready with these values (<c>$cv-&gt;send(@values)</c>).
    /// A second send replaces the values and does not call <see cref="Cb"/> again.
    /// Any thread may send: the variable is ready, and every thread waiting in
    /// <see cref="Recv"/> wakes, before it returns; from a thread other than the loop's,
    /// only <see cref="Cb"/> is handed to the loop (<see cref="Loop.Post"/>), so that it
    /// still runs on the loop's thread.
    /// </summary>
    public void Send(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Complete(values, null);
    }

    /// <summary>Makes <see cref="Recv"/> throw <paramref name="error"/> (<c>$cv-&gt;croak($error)</c>). Any thread, as <see cref="Send"/>.</summary>
    public void Croak(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Complete([], error);
    }

    /// <summary>Makes <see cref="Recv"/> throw a <see cref="CondVarCroakedException"/> with this message.</summary>
    public void Croak(string message) => Croak(new CondVarCroakedException(message));

    /// <summary>
    /// Counts one more piece of outstanding work (<c>$cv-&gt;begin</c>). When a callback
    /// is given, <see cref="End"/> calls it (the last one given wins) instead of
    /// <see cref="Send"/> once the count drops to zero.
    /// </summary>
    public void Begin(Action<CondVar>? groupCallback = null)
    {
        _loop.VerifyAccess();
        _counter++;
        if (groupCallback is not null)
        {
            _groupCallback = groupCallback;
        }
    }

    /// <summary>Counts one piece of work done (<c>$cv-&gt;end</c>); at zero, calls the group callback or sends.</summary>
    public void End()
    {
        _loop.VerifyAccess();
        if (_counter <= 0)
        {
            throw LoopErrors.EndWithoutBegin();
        }

        if (--_counter > 0)
        {
            return;
        }

        if (_groupCallback is { } group)
        {
            group(this);
        }
        else
        {
            Send();
        }
    }

    /// <summary>
    /// Waits until the variable is ready and returns the values given to
    /// <see cref="Send"/>, or throws what <see cref="Croak(Exception)"/> was given
    /// (<c>$cv-&gt;recv</c>). On the loop's own thread, or on any thread while the loop has
    /// no owner (which makes this thread its owner), it runs the loop meanwhile, until
    /// the variable is ready and its <see cref="Cb"/> has run. On another thread it
    /// blocks, without running the loop, until the variable is sent (by any thread); should
    /// the loop's owner end or give the loop up (<see cref="Loop.ReleaseOwnership"/>)
    /// first, it takes the loop over and runs it; should the loop be disposed first, it
    /// throws <see cref="ObjectDisposedException"/>. Calling it from inside a loop callback
    /// throws <see cref="InvalidOperationException"/>: that wait could never end.
    /// </summary>
    public object?[] Recv()
    {
        if (!_ready)
        {
            Wait();
        }

        object?[] values;
        Exception? croak;
        lock (_gate)
        {
            values = _values;
            croak = _croak;
        }

        if (croak is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(croak);
        }

        return values;
    }

    /// <summary>Like <see cref="Recv"/>, returning the first value sent, cast to <typeparamref name="T"/> (Perl's scalar-context <c>recv</c>).</summary>
    public T Recv<T>()
    {
        var values = Recv();
        return values.Length > 0 ? (T)values[0]! : throw LoopErrors.SentNoValue();
    }

    /// <summary>Wakes the threads waiting in <see cref="Recv"/> to look at the loop again: it was given up or disposed.</summary>
    internal void WakeWaiters()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void Wait()
    {
        while (!_ready)
        {
            if (!_loop.TryAcquire(out var acquired))
            {
                WaitForOwner();
                continue;
            }

            try
            {
                // A send from another thread makes the variable ready before its Cb has
                // run here: run the loop until it has, as a send on this thread would.
                while (!_ready || _callbackPosted)
                {
                    _loop.RunOnce();
                }
            }
            finally
            {
                _loop.Release(acquired);
            }
        }
    }

    /// <summary>Blocks until the variable is ready, the loop has no live owner (this thread may run it), or the loop is disposed.</summary>
    private void WaitForOwner()
    {
        // Registered first, so that a release or a disposal that this thread does not
        // see below wakes it (Loop.WakeWaiters reads the list after changing its state).
        _loop.AddWaiter(this);
        try
        {
            lock (_gate)
            {
                while (!_ready && !_loop.IsDisposed && !_loop.CheckAccess())
                {
                    Monitor.Wait(_gate, OwnerCheckMilliseconds);
                }
            }
        }
        finally
        {
            _loop.RemoveWaiter(this);
        }

        if (!_ready && _loop.IsDisposed)
        {
            throw LoopErrors.RecvOnDisposedLoop();
        }
    }

    private void Complete(object?[] values, Exception? croak)
    {
        var onLoop = _loop.CheckAccess();
        bool first;
        lock (_gate)
        {
            first = !_ready;
            _values = values;
            _croak = croak;
            _ready = true;
            _callbackPosted = first && !onLoop;
            Monitor.PulseAll(_gate);
        }

        if (!first)
        {
            return;
        }

        if (onLoop)
        {
            _callback?.Invoke(this);
        }
        else if (!_loop.TryPost(RunPostedCallback))
        {
            // The loop is gone: no thread is left to call Cb, nor to wait for it.
            _callbackPosted = false;
        }
    }

    private void RunPostedCallback()
    {
        Action<CondVar>? callback;
        lock (_gate)
        {
            if (!_callbackPosted)
            {
                return;
            }

            _callbackPosted = false;
            callback = _callback;
        }

        callback?.Invoke(this);
    }
}
