using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace EventLoop;

/// <summary>
/// A single-threaded event loop in AnyEvent's manner: timers, socket watchers, POSIX
/// signals, idle watchers, postponed callbacks and condition variables. Every callback
/// runs on the thread that runs the loop; other threads hand work over with
/// <see cref="Post"/>.
/// </summary>
/// <remarks>
/// <para>One pass (<see cref="RunOnce"/>) waits for sockets until the nearest timer is
/// due (forever when there is none, not at all when idle watchers or queued callbacks
/// exist), then fires due timers, then ready socket watchers, then posted callbacks,
/// then postponed ones, and, if nothing at all happened, idle watchers.</para>
/// <para>The first thread that runs the loop (<see cref="Run"/>, <see cref="RunOnce"/>
/// or <see cref="CondVar.Recv"/>) owns it until that thread ends or gives it up with
/// <see cref="ReleaseOwnership"/>; returning from a run does not give it up. Watchers,
/// handles and clients on the loop are used on that thread only (or by any thread before
/// the loop first runs); elsewhere they throw <see cref="InvalidOperationException"/>
/// (<see cref="VerifyAccess"/>). <see cref="Post"/>, <see cref="Cv"/>,
/// <see cref="CondVar.Send"/>, <see cref="CondVar.Croak(Exception)"/> and
/// <see cref="CondVar.Recv"/> are the members that any thread may call.</para>
/// <para>An exception thrown by a callback propagates out of <see cref="RunOnce"/>,
/// <see cref="Run"/> or <see cref="CondVar.Recv"/>, as a Perl <c>die</c> in a callback
/// leaves <c>$cv-&gt;recv</c>; the loop stays usable. Set
/// <see cref="UnhandledException"/> to keep the loop running instead.</para>
/// </remarks>
public sealed class Loop : IDisposable
{
    private static readonly Lazy<Loop> s_default = new(() => new Loop(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly IClock _clock;
    private readonly PriorityQueue<TimerWatcher, TimerKey> _timers = new();
    private readonly Dictionary<SafeSocketHandle, IoRegistration> _io = new();
    private readonly List<IoRegistration> _ioChanges = [];
    private readonly IoPoller _poller;
    private readonly List<IdleWatcher> _idle = [];
    private readonly Queue<Action> _postponed = new();
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<SignalWatcher> _signals = [];
    private long _timerSequence;
    private int _queuedTimers;
    private int _staleTimers;
    private double _nowMonotonic;
    private double _nowWall;
    private Thread? _owner;
    private volatile bool _running;
    private bool _inPass;

    /// <summary>Ready sockets' watcher lists are being walked: a disposed watcher keeps its place in them until the walk is over.</summary>
    private bool _dispatchingIo;

    /// <summary>The last pass was left by an exception before it had run what was put off.</summary>
    private bool _cutShort;

    /// <summary>A callback of this pass threw and <see cref="UnhandledException"/> took the exception.</summary>
    private bool _threwInPass;
    private bool _stop;
    private volatile bool _disposed;

    // Condition variables with a thread blocked in Recv on another thread than the owner,
    // to be woken when the loop is given up or disposed.
    private readonly List<CondVar> _foreignWaiters = [];

    /// <summary>A loop on the system clock.</summary>
    public Loop()
        : this(SystemClock.Instance)
    {
    }

    /// <summary>A loop on the given clock; tests pass a <see cref="FakeClock"/>.</summary>
    public Loop(IClock clock)
        : this(clock, backend: null)
    {
    }

    /// <summary>A loop on the given backend (<c>epoll</c> or <c>select</c>; null: the environment's or the best there is); tests run both.</summary>
    internal Loop(IClock clock, string? backend)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _poller = IoPoller.Create(backend);
        RefreshNow();
    }

    /// <summary>
    /// The process-wide loop, AnyEvent's one loop: behind the <see cref="AE"/> functions, and
    /// clients and clusters built without a loop, except inside an <see cref="AE.UseLoop"/>
    /// scope, where <see cref="AE.CurrentLoop"/> is the scope's loop instead.
    /// </summary>
    public static Loop Default => s_default.Value;

    /// <summary>The loop's clock.</summary>
    public IClock Clock => _clock;

    /// <summary>
    /// How the loop waits for sockets, as <c>$AnyEvent::MODEL</c> names AnyEvent's: <c>epoll</c>
    /// on Linux, <c>select</c> elsewhere or when the environment variable
    /// <c>STOMPER_LOOP_BACKEND</c> says so (see docs/design.md).
    /// </summary>
    public string Backend => _poller.Name;

    /// <summary>
    /// When set, an exception thrown by a callback is handed to this delegate and the
    /// loop carries on. When null (the default) it propagates to whoever runs the loop.
    /// </summary>
    public Action<Exception>? UnhandledException { get; set; }

    /// <summary>True while the owning thread is inside <see cref="Run"/>, <see cref="RunOnce"/> or <see cref="CondVar.Recv"/> for this loop.</summary>
    public bool IsRunning => _running;

    /// <summary>True when called on the thread that owns the loop: the first thread that ran it, until it ends or calls <see cref="ReleaseOwnership"/>.</summary>
    public bool IsLoopThread => Volatile.Read(ref _owner) == Thread.CurrentThread;

    /// <summary>
    /// True when the calling thread may use the loop and what is on it: it owns the loop,
    /// or the loop has no owner (set-up code before the first run, or after
    /// <see cref="ReleaseOwnership"/>), or its owner has ended. Perl has no threads; this is <c>Dispatcher.CheckAccess</c> in .NET terms.
    /// </summary>
    public bool CheckAccess()
    {
        var owner = Volatile.Read(ref _owner);
        return owner is null || owner == Thread.CurrentThread || ReleaseIfEnded(owner);
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/>, naming the loop's thread and the
    /// ways to hand work over, unless <see cref="CheckAccess"/> holds. Every member of the
    /// loop, its watchers and handles, and the clients on it that is not documented as
    /// thread-safe starts with this call; it costs a thread-local read and a comparison.
    /// </summary>
    /// <param name="member">The member that was called, for the message; the compiler fills it in.</param>
    public void VerifyAccess([CallerMemberName] string member = "")
    {
        var owner = Volatile.Read(ref _owner);
        if (owner is not null && owner != Thread.CurrentThread)
        {
            VerifyForeignAccess(owner, member);
        }
    }

    /// <summary>
    /// The wall time (seconds since the epoch) cached at the start of the current pass,
    /// as <c>AE::now</c>. Timers count from this value.
    /// </summary>
    public double Now() => _nowWall;

    /// <summary>The current wall time, read from the clock now, as <c>AE::time</c>.</summary>
    public double Time() => _clock.WallSeconds;

    /// <summary>Refreshes the cached time (<c>AE::now_update</c>), for example after a long computation inside a callback.</summary>
    public void NowUpdate()
    {
        VerifyAccess();
        RefreshNow();
    }

    private void RefreshNow()
    {
        _nowMonotonic = _clock.MonotonicSeconds;
        _nowWall = _clock.WallSeconds;
    }

    internal double NowMonotonic => _nowMonotonic;

    /// <summary>Entries in the timer heap, live and stale; tests check that it stays bounded.</summary>
    internal int TimerQueueLength => _timers.Count;

    /// <summary>
    /// Calls <paramref name="callback"/> once after <paramref name="after"/> seconds and
    /// then, when <paramref name="interval"/> is above 0, every <paramref name="interval"/>
    /// seconds until disposed (<c>AE::timer $after, $interval, $cb</c>). Both take
    /// fractions; a negative <paramref name="after"/> counts as 0. Inside a callback the
    /// time counts from the pass's cached <see cref="Now"/>, as in AnyEvent; outside the
    /// loop it counts from the clock's current reading.
    /// </summary>
    public TimerWatcher Timer(double after, double interval, Action callback)
    {
        VerifyAccess();
        ArgumentNullException.ThrowIfNull(callback);
        if (double.IsNaN(after) || double.IsNaN(interval) || interval < 0 || double.IsInfinity(interval))
        {
            throw LoopErrors.TimerInterval(nameof(interval));
        }

        // Inside a callback the pass's cached time is the reference, as AE::now is; from
        // outside the loop (set-up code, or after the loop sat idle between runs) a stale
        // cached time would make the timer fire early, so take the clock's reading.
        if (!_inPass)
        {
            RefreshNow();
        }

        var timer = new TimerWatcher(this, interval, callback);
        Schedule(timer, after);
        return timer;
    }

    /// <summary>Calls <paramref name="callback"/> on every pass while <paramref name="socket"/> is readable or writable (<c>AE::io</c>).</summary>
    public IoWatcher Io(Socket socket, IoDirection direction, Action callback)
    {
        VerifyAccess();
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(callback);
        var handle = socket.SafeHandle;
        var isNew = !_io.TryGetValue(handle, out var registration);
        registration ??= new IoRegistration(socket, handle);
        var watcher = new IoWatcher(this, socket, direction, callback, registration);
        if (registration.Add(watcher) && !isNew)
        {
            QueueIoChange(registration);
        }

        if (isNew)
        {
            // The kernel hears of a new socket at once, so that a refusal reaches this caller.
            // A loop already disposed has no poller left: the watcher stays inert.
            if (!_disposed)
            {
                _poller.Add(registration);
            }

            _io.Add(handle, registration);
        }

        return watcher;
    }

    /// <summary>
    /// Calls <paramref name="callback"/> on the loop thread whenever the process receives
    /// the named signal (<c>AE::signal INT =&gt; $cb</c>). Names are Perl's: <c>INT</c>,
    /// <c>TERM</c>, <c>HUP</c>, <c>QUIT</c>, <c>USR1</c>, <c>ALRM</c>, <c>PIPE</c>, ... with
    /// or without <c>SIG</c>, by this system's numbers. KILL and STOP, the fault signals
    /// the runtime handles itself (SEGV, BUS, FPE, ...) and unknown names throw an
    /// <see cref="ArgumentException"/> saying why; on Windows only HUP, INT, QUIT and TERM exist.
    /// </summary>
    public SignalWatcher Signal(string name, Action callback)
    {
        VerifyAccess();
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var signal = SignalWatcher.Parse(name);
        var watcher = new SignalWatcher(this, name, signal, callback);
        _signals.Add(watcher);
        return watcher;
    }

    /// <summary>Calls <paramref name="callback"/> on every pass in which nothing else happened (<c>AE::idle</c>).</summary>
    public IdleWatcher Idle(Action callback)
    {
        VerifyAccess();
        ArgumentNullException.ThrowIfNull(callback);
        var watcher = new IdleWatcher(this, callback);
        _idle.Add(watcher);
        return watcher;
    }

    /// <summary>
    /// Runs <paramref name="callback"/> soon, but never before the current callback has
    /// returned (<c>AE::postpone</c>). Loop thread only.
    /// </summary>
    public void Postpone(Action callback)
    {
        VerifyAccess();
        ArgumentNullException.ThrowIfNull(callback);
        _postponed.Enqueue(callback);
    }

    /// <summary>
    /// Hands <paramref name="callback"/> to the loop from any thread and wakes it at once.
    /// Callbacks posted by one thread run in the order they were posted.
    /// </summary>
    public void Post(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (!TryPost(callback))
        {
            throw new ObjectDisposedException(nameof(Loop));
        }
    }

    /// <summary>A condition variable on this loop (<c>AE::cv</c>), with an optional callback for when it is sent. Any thread may create one.</summary>
    public CondVar Cv(Action<CondVar>? callback = null) => new(this, callback);

    /// <summary>Runs passes until <see cref="Stop"/> is called.</summary>
    public void Run()
    {
        var acquired = Acquire(nameof(Run));
        try
        {
            _stop = false;
            while (!_stop && !_disposed)
            {
                Pass(block: true);
            }
        }
        finally
        {
            _stop = false;
            Release(acquired);
        }
    }

    /// <summary>Makes <see cref="Run"/> return after the current pass. Loop thread only; from elsewhere, <c>Post(loop.Stop)</c>.</summary>
    public void Stop()
    {
        VerifyAccess();
        _stop = true;
    }

    /// <summary>
    /// Runs one pass. With <paramref name="block"/> it first waits until something is
    /// due; without, it only handles what is ready now (step a loop on a
    /// <see cref="FakeClock"/> this way). Returns true when any callback ran.
    /// </summary>
    public bool RunOnce(bool block = true)
    {
        var acquired = Acquire(nameof(RunOnce));
        try
        {
            return Pass(block);
        }
        finally
        {
            Release(acquired);
        }
    }

    /// <summary>Runs non-blocking passes until one finds nothing to do; for tests on a fake clock.</summary>
    public void RunPending()
    {
        while (RunOnce(block: false))
        {
        }
    }

    /// <summary>
    /// Releases the loop's wake-up sockets and disposes its signal watchers, so that a
    /// signal arriving later gets its default action instead of a dead loop. Other
    /// watchers still alive stop being served. On the loop's thread, or any thread once
    /// that thread has ended. From one of the loop's own callbacks, the rest of the pass
    /// is skipped and the sockets close as the pass ends (libuv's closing phase);
    /// <see cref="Run"/> then returns, and the next pass throws
    /// <see cref="ObjectDisposedException"/>. A thread waiting in <see cref="CondVar.Recv"/>
    /// on another thread for a variable not yet sent wakes and throws it too.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        VerifyAccess();
        _disposed = true;
        if (!_inPass)
        {
            Close();
        }

        WakeForeignWaiters();
    }

    /// <summary>
    /// Gives up the calling thread's ownership of the loop: it has no owner again, as
    /// before its first run, and the next thread that runs it (<see cref="Run"/>,
    /// <see cref="RunOnce"/>, or a <see cref="CondVar.Recv"/> already waiting on another
    /// thread) takes it. A thread-pool task that ran the loop calls it before it returns,
    /// since a pool thread never ends and would otherwise keep the loop for good. Only
    /// the owner (or any thread while the loop has none), and not while the loop runs.
    /// </summary>
    public void ReleaseOwnership()
    {
        VerifyAccess();
        if (_running || _inPass)
        {
            throw LoopErrors.ReleaseWhileRunning();
        }

        Interlocked.CompareExchange(ref _owner, null, Thread.CurrentThread);
        WakeForeignWaiters();
    }

    /// <summary>True once <see cref="Dispose"/> has been called; any thread.</summary>
    internal bool IsDisposed => _disposed;

    internal void AddWaiter(CondVar cv)
    {
        lock (_foreignWaiters)
        {
            _foreignWaiters.Add(cv);
        }
    }

    internal void RemoveWaiter(CondVar cv)
    {
        lock (_foreignWaiters)
        {
            _foreignWaiters.Remove(cv);
        }
    }

    /// <summary>Called after the owner or the disposed flag changed, so that a waiter that registered before the change and looked at the old state wakes.</summary>
    private void WakeForeignWaiters()
    {
        CondVar[] waiters;
        lock (_foreignWaiters)
        {
            if (_foreignWaiters.Count == 0)
            {
                return;
            }

            waiters = [.. _foreignWaiters];
        }

        foreach (var cv in waiters)
        {
            cv.WakeWaiters();
        }
    }

    private void Close()
    {
        foreach (var signal in _signals.ToArray())
        {
            signal.Dispose();
        }

        _poller.Dispose();
    }

    /// <summary>
    /// Queues <paramref name="callback"/> and wakes the loop, from any thread; false when
    /// the loop is disposed. For callers that must not throw, such as the runtime's
    /// signal thread, where an exception ends the process.
    /// </summary>
    internal bool TryPost(Action callback)
    {
        if (_disposed)
        {
            return false;
        }

        _posted.Enqueue(callback);
        _poller.Wakeup.Signal();
        return true;
    }

    /// <summary>
    /// Takes the loop for the calling thread, which becomes its owner if it has none.
    /// Returns false when the thread already runs it (a <see cref="CondVar.Recv"/>
    /// running passes), and throws when another live thread owns it or when called from
    /// inside a callback.
    /// </summary>
    internal bool Acquire(string member)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TakeOwnership() is { } owner)
        {
            throw LoopErrors.ForeignRun(member, owner);
        }

        return Enter();
    }

    /// <summary>
    /// As <see cref="Acquire"/>, but returns false instead of throwing when another live
    /// thread owns the loop; <paramref name="acquired"/> is what <see cref="Acquire"/> returns.
    /// </summary>
    internal bool TryAcquire(out bool acquired)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TakeOwnership() is not null)
        {
            acquired = false;
            return false;
        }

        acquired = Enter();
        return true;
    }

    /// <summary>Makes the calling thread the owner unless another live thread is; returns that thread, or null.</summary>
    private Thread? TakeOwnership()
    {
        var me = Thread.CurrentThread;
        var owner = Interlocked.CompareExchange(ref _owner, me, null);
        while (owner is not null && owner != me)
        {
            // An owner that has ended can run nothing again: the loop passes to this thread.
            if (owner.IsAlive)
            {
                return owner;
            }

            var seen = Interlocked.CompareExchange(ref _owner, me, owner);
            owner = seen == owner ? null : seen;
        }

        return null;
    }

    /// <summary>On the owner's thread: false when it already runs the loop, and throws from inside a callback.</summary>
    private bool Enter()
    {
        if (_inPass)
        {
            throw LoopErrors.NestedRun();
        }

        if (_running)
        {
            return false;
        }

        _running = true;
        return true;
    }

    internal void Release(bool acquired)
    {
        if (acquired)
        {
            _running = false;
        }
    }

    internal void RemoveSignal(SignalWatcher watcher) => _signals.Remove(watcher);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void VerifyForeignAccess(Thread owner, string member)
    {
        if (!ReleaseIfEnded(owner))
        {
            ThrowWrongThread(owner, member);
        }
    }

    [DoesNotReturn]
    private static void ThrowWrongThread(Thread owner, string member) => throw LoopErrors.WrongThread(member, owner);

    /// <summary>Gives up the ownership of a thread that has ended; true when the loop is now free.</summary>
    private bool ReleaseIfEnded(Thread owner)
    {
        if (owner.IsAlive)
        {
            return false;
        }

        Interlocked.CompareExchange(ref _owner, null, owner);
        var now = Volatile.Read(ref _owner);
        return now is null || now == Thread.CurrentThread;
    }

    internal void Schedule(TimerWatcher timer, double after)
    {
        if (timer.Queued)
        {
            _staleTimers++;
        }
        else
        {
            timer.Queued = true;
            _queuedTimers++;
        }

        var due = _nowMonotonic + (after > 0 ? after : 0);
        timer.Due = due;
        timer.Generation = ++_timerSequence;
        _timers.Enqueue(timer, new TimerKey(due, timer.Generation));
    }

    internal void Unschedule(TimerWatcher timer)
    {
        if (!timer.Queued)
        {
            return;
        }

        timer.Queued = false;
        _queuedTimers--;
        _staleTimers++;

        // Disposed timers stay in the heap until popped; rebuild it when they dominate,
        // so that a program creating and dropping long timers cannot grow it forever.
        if (_staleTimers > 64 && _staleTimers > _queuedTimers)
        {
            CompactTimers();
        }
    }

    internal void RemoveIo(IoWatcher watcher)
    {
        // Only recorded here: the kernel hears of it before the next wait, so a watcher that
        // goes and comes back within a pass (a handle re-arming its reader) costs no call.
        // Queued even when the interest stays, so that the watcher leaves the list then.
        watcher.Registration.Remove(watcher);
        if (!_dispatchingIo)
        {
            // No walk of the list under way: drop it now, so that watchers made and disposed
            // outside the dispatch (set-up code, timers) do not pile up until the next wait.
            watcher.Registration.Compact();
        }

        QueueIoChange(watcher.Registration);
    }

    private void QueueIoChange(IoRegistration registration)
    {
        if (!registration.Changed)
        {
            registration.Changed = true;
            _ioChanges.Add(registration);
        }
    }

    /// <summary>Watched sockets, including those whose last watcher went in this pass; tests read it.</summary>
    internal int WatchedSockets => _io.Count;

    /// <summary>The waiting phase's backend; tests read its counters.</summary>
    internal IoPoller Poller => _poller;

    /// <summary>Brings the kernel up to date with the interest changes of the last pass.</summary>
    private void ApplyIoChanges()
    {
        var done = 0;
        try
        {
            for (; done < _ioChanges.Count; done++)
            {
                var registration = _ioChanges[done];
                if (registration.Compact())
                {
                    _io.Remove(registration.Handle);
                    _poller.Remove(registration);
                }
                else
                {
                    _poller.Update(registration);
                }

                registration.Changed = false;
            }
        }
        finally
        {
            // One the kernel refused stays queued, and is tried again before the next wait.
            _ioChanges.RemoveRange(0, done);
        }
    }

    internal void RemoveIdle(IdleWatcher watcher) => _idle.Remove(watcher);

    /// <summary>Passes run so far; tests use it to prove an idle loop sleeps.</summary>
    internal long PassCount { get; private set; }

    private bool Pass(bool block)
    {
        PassCount++;
        _inPass = true;
        var cutShort = true;
        try
        {
            // What a pass that an exception left had put off was due in that pass: it runs
            // before anything new is read, or a reply read now would overtake a callback
            // whose cause came first.
            var work = _cutShort ? RunPostponed() : 0;
            _cutShort = false;
            var timeout = block && work == 0 ? WaitTimeoutMicroseconds() : 0;
            var ready = Poll(timeout);
            RefreshNow();
            work += RunTimers();
            if (ready > 0)
            {
                work += DispatchIo(ready);
            }

            work += RunPosted();
            work += RunPostponed();
            if (work == 0 && _idle.Count > 0)
            {
                RunIdle();
                RunPostponed();
            }

            cutShort = false;
            return work > 0 && !_disposed;
        }
        finally
        {
            _inPass = false;
            // A callback whose exception the handler took is a pass cut short too: what it
            // put off on its way out was due before anything the next pass reads.
            _cutShort = cutShort || _threwInPass;
            _threwInPass = false;
            if (_disposed)
            {
                Close();
            }
        }
    }

    /// <summary>How long the poll may sleep: -1 for as long as it takes, 0 when anything is waiting.</summary>
    private int WaitTimeoutMicroseconds()
    {
        if (_postponed.Count > 0 || !_posted.IsEmpty || _idle.Count > 0)
        {
            return 0;
        }

        DropStaleTimerHeads();
        if (!_timers.TryPeek(out _, out var next))
        {
            return -1;
        }

        var seconds = next.Due - _clock.MonotonicSeconds;
        if (seconds <= 0)
        {
            return 0;
        }

        // Round up to whole milliseconds, the resolution of epoll_wait and of the poll(2) under Select:
        // waking early would only cost an empty pass.
        var micros = Math.Ceiling(seconds * 1_000) * 1_000;
        return micros >= int.MaxValue ? int.MaxValue : (int)micros;
    }

    private int Poll(int timeoutMicroseconds)
    {
        ApplyIoChanges();
        if (timeoutMicroseconds == 0 && _io.Count == 0 && _poller.Wakeup.IsIdle)
        {
            // Nothing to ask the kernel: skip the system call on busy timer-only passes.
            return 0;
        }

        return _poller.Wait(timeoutMicroseconds);
    }

    private int DispatchIo(int ready)
    {
        _dispatchingIo = true;
        try
        {
            return DispatchReady(ready);
        }
        finally
        {
            _dispatchingIo = false;
        }
    }

    private int DispatchReady(int ready)
    {
        // Errors first, then the readable, then the writable, each socket in the order the
        // kernel reported it: the select loop's order, kept for both backends.
        var calls = 0;
        for (var i = 0; i < ready; i++)
        {
            if ((_poller.ReadyEvents(i) & IoReadiness.Error) != 0)
            {
                // An error wakes both directions: the callbacks meet it on their next read or write.
                var registration = _poller.ReadyRegistration(i);
                calls += DispatchIo(registration, IoDirection.Read) + DispatchIo(registration, IoDirection.Write);
            }
        }

        for (var i = 0; i < ready; i++)
        {
            if ((_poller.ReadyEvents(i) & (IoReadiness.Error | IoReadiness.Read)) == IoReadiness.Read)
            {
                calls += DispatchIo(_poller.ReadyRegistration(i), IoDirection.Read);
            }
        }

        for (var i = 0; i < ready; i++)
        {
            if ((_poller.ReadyEvents(i) & (IoReadiness.Error | IoReadiness.Write)) == IoReadiness.Write)
            {
                calls += DispatchIo(_poller.ReadyRegistration(i), IoDirection.Write);
            }
        }

        return calls;
    }

    private int DispatchIo(IoRegistration registration, IoDirection direction)
    {
        // A socket closed by an earlier callback of this pass has nothing left to report.
        if (registration.Handle.IsClosed)
        {
            return 0;
        }

        var calls = 0;
        var watchers = registration.Watchers;

        // Callbacks may add or dispose watchers of this socket: walk a count taken now
        // and skip the disposed ones.
        var count = watchers.Count;
        for (var i = 0; i < count && i < watchers.Count; i++)
        {
            var watcher = watchers[i];
            if (watcher.IsActive && watcher.Direction == direction)
            {
                calls++;
                Invoke(watcher.Callback);
            }
        }

        return calls;
    }

    private int RunTimers()
    {
        var calls = 0;

        // Timers armed during this pass wait for the next one, so a callback that arms
        // a zero timer cannot keep the pass from ending.
        var lastSequence = _timerSequence;
        while (_timers.TryPeek(out var timer, out var key))
        {
            if (!timer.Queued || key.Sequence != timer.Generation)
            {
                _timers.Dequeue();
                _staleTimers--;
                continue;
            }

            if (key.Due > _nowMonotonic || key.Sequence > lastSequence)
            {
                break;
            }

            _timers.Dequeue();
            timer.Queued = false;
            _queuedTimers--;
            if (timer.Interval > 0)
            {
                // Keep the cadence of the first deadline, but never try to catch up
                // with a burst after the loop was held up.
                var next = key.Due + timer.Interval;
                Schedule(timer, next > _nowMonotonic ? next - _nowMonotonic : timer.Interval);
            }

            calls++;
            Invoke(timer.Callback);
        }

        return calls;
    }

    private void DropStaleTimerHeads()
    {
        while (_timers.TryPeek(out var timer, out var key) && (!timer.Queued || key.Sequence != timer.Generation))
        {
            _timers.Dequeue();
            _staleTimers--;
        }
    }

    private void CompactTimers()
    {
        var live = new List<(TimerWatcher, TimerKey)>(_queuedTimers);
        foreach (var (timer, key) in _timers.UnorderedItems)
        {
            if (timer.Queued && key.Sequence == timer.Generation)
            {
                live.Add((timer, key));
            }
        }

        _timers.Clear();
        _timers.EnqueueRange(live);
        _staleTimers = 0;
    }

    private int RunPosted()
    {
        // Only what was posted before this point, as with postponed callbacks: a producer
        // posting as fast as the loop drains (another thread, or a callback re-posting
        // itself) would otherwise hold the pass open forever and starve timers and sockets.
        // What is left keeps the next wait from sleeping.
        var count = _posted.Count;
        var calls = 0;
        while (calls < count && _posted.TryDequeue(out var callback))
        {
            calls++;
            Invoke(callback);
        }

        return calls;
    }

    private int RunPostponed()
    {
        // Only what was queued before this point: a postpone from a postponed callback
        // runs on the next pass.
        var count = _postponed.Count;
        for (var i = 0; i < count; i++)
        {
            Invoke(_postponed.Dequeue());
        }

        return count;
    }

    private void RunIdle()
    {
        var count = _idle.Count;
        for (var i = 0; i < count && i < _idle.Count; i++)
        {
            var watcher = _idle[i];
            if (watcher.IsActive)
            {
                Invoke(watcher.Callback);
            }
        }
    }

    private void Invoke(Action callback)
    {
        // Disposed by an earlier callback of this pass: nothing else may run.
        if (_disposed)
        {
            return;
        }

        var handler = UnhandledException;
        if (handler is null)
        {
            callback();
            return;
        }

        try
        {
            callback();
        }
        catch (Exception e)
        {
            _threwInPass = true;
            handler(e);
        }
    }
}
