namespace EventLoop;

/// <summary>
/// A condition variable as in AnyEvent (<c>AE::cv</c>): one side calls
/// <see cref="Send"/> (or <see cref="Croak(Exception)"/>), the other waits with
/// <see cref="Recv"/>, which runs the loop on the calling thread until then.
/// <see cref="Begin"/>/<see cref="End"/> count outstanding work and send when it
/// drops to zero.
/// </summary>
public sealed class CondVar
{
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
    /// </summary>
    public void Send(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Complete(values, null);
    }

    /// <summary>Makes <see cref="Recv"/> throw <paramref name="error"/> (<c>$cv-&gt;croak($error)</c>).</summary>
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
        _counter++;
        if (groupCallback is not null)
        {
            _groupCallback = groupCallback;
        }
    }

    /// <summary>Counts one piece of work done (<c>$cv-&gt;end</c>); at zero, calls the group callback or sends.</summary>
    public void End()
    {
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
    /// (<c>$cv-&gt;recv</c>). On the loop's own thread (or when no thread runs the loop)
    /// it runs the loop meanwhile; on another thread, while the loop runs elsewhere, it
    /// blocks until the loop thread sends. Calling it from inside a loop callback throws
    /// <see cref="InvalidOperationException"/>: that wait could never end.
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
        if (_loop.IsRunning && !_loop.IsLoopThread)
        {
            WaitForOtherThread();
            return;
        }

        var acquired = _loop.Acquire();
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

    private void WaitForOtherThread()
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

        signal.Wait();
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
