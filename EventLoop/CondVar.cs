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
/// condition variable the way to pass a result between the loop's thread and another.
/// <see cref="Begin"/>, <see cref="End"/> and setting <see cref="Cb"/> belong to the
/// loop's thread (see <see cref="Loop.VerifyAccess"/>).
/// </remarks>
public sealed class CondVar
{
    private const int OwnerCheckMilliseconds = 200;
    private readonly Loop _loop;
    private readonly object _gate = new();
    private object?[] _values = [];
    private Exception? _croak;
    private Action<CondVar>? _callback;
    private Action<CondVar>? _groupCallback;
    private ManualResetEventSlim? _signal;
    private int _counter;
    private volatile bool _ready;

    internal CondVar(Loop loop, Action<CondVar>? callback)
    {
        _loop = loop;
        _callback = callback;
    }

    /// <summary>True once sent or croaked (<c>$cv-&gt;ready</c>).</summary>
    public bool Ready => _ready;

    /// <summary>
    /// The callback called (on the loop thread) with this condition variable when it
    /// becomes ready (<c>$cv-&gt;cb</c>). Setting it on a ready variable calls it at once.
    /// </summary>
    public Action<CondVar>? Cb
    {
        get => _callback;
        set
        {
            _loop.VerifyAccess();
            _callback = value;
            if (_ready)
            {
                value?.Invoke(this);
            }
        }
    }

    /// <summary>
    /// Marks the variable ready with these values (<c>$cv-&gt;send(@values)</c>).
    /// A second send replaces the values and does not call <see cref="Cb"/> again.
    /// Any thread may send: from a thread other than the loop's, the send is handed to
    /// the loop (<see cref="Loop.Post"/>), so that <see cref="Cb"/> still runs on the
    /// loop's thread and a loop waiting in <see cref="Recv"/> wakes up.
    /// </summary>
    public void Send(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CompleteOnLoop(values, null);
    }

    /// <summary>Makes <see cref="Recv"/> throw <paramref name="error"/> (<c>$cv-&gt;croak($error)</c>). Any thread, as <see cref="Send"/>.</summary>
    public void Croak(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        CompleteOnLoop([], error);
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
            throw new InvalidOperationException("End called more often than Begin");
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
    /// no owner yet (which makes this thread its owner), it runs the loop meanwhile. On
    /// another thread it blocks, without running the loop, until the variable is sent
    /// (by the loop's thread, or by any thread through <see cref="Send"/>); should the
    /// loop's thread end first, it takes the loop over and runs it. Calling it from
    /// inside a loop callback throws <see cref="InvalidOperationException"/>: that wait
    /// could never end.
    /// </summary>
    public object?[] Recv()
    {
        if (!_ready)
        {
            Wait();
        }

        if (_croak is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_croak);
        }

        return _values;
    }

    /// <summary>Like <see cref="Recv"/>, returning the first value sent, cast to <typeparamref name="T"/> (Perl's scalar-context <c>recv</c>).</summary>
    public T Recv<T>()
    {
        var values = Recv();
        return values.Length > 0 ? (T)values[0]! : throw new InvalidOperationException("The condition variable was sent no value");
    }

    private void Wait()
    {
        if (!_loop.CheckAccess())
        {
            WaitForOwner();
            return;
        }

        var acquired = _loop.Acquire(nameof(Recv));
        try
        {
            while (!_ready)
            {
                _loop.RunOnce();
            }
        }
        finally
        {
            _loop.Release(acquired);
        }
    }

    private void WaitForOwner()
    {
        ManualResetEventSlim signal;
        lock (_gate)
        {
            if (_ready)
            {
                return;
            }

            signal = _signal ??= new ManualResetEventSlim();
        }

        // The owner may end without ever sending; a loop without a live owner is this
        // thread's to run, so look again now and then rather than wait forever.
        while (!signal.Wait(OwnerCheckMilliseconds))
        {
            if (_loop.CheckAccess())
            {
                Wait();
                return;
            }
        }
    }

    private void CompleteOnLoop(object?[] values, Exception? croak)
    {
        if (_loop.CheckAccess())
        {
            Complete(values, croak);
        }
        else
        {
            _loop.Post(() => Complete(values, croak));
        }
    }

    private void Complete(object?[] values, Exception? croak)
    {
        var first = !_ready;
        _values = values;
        _croak = croak;
        lock (_gate)
        {
            _ready = true;
            _signal?.Set();
        }

        if (first)
        {
            _callback?.Invoke(this);
        }
    }
}
