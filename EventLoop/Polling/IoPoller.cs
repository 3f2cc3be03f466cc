namespace EventLoop;

/// <summary>
/// The loop's waiting phase: the kernel interface that tells which watched sockets are
/// ready. The loop keeps the watchers; a backend keeps what the kernel must know of them
/// and fills <see cref="ReadyRegistration"/>/<see cref="ReadyEvents"/> on each wait.
/// </summary>
internal abstract class IoPoller : IDisposable
{
    /// <summary>The environment variable that picks a backend (<c>epoll</c> or <c>select</c>), as AnyEvent's <c>PERL_ANYEVENT_MODEL</c> picks a model.</summary>
    public const string BackendVariable = "STOMPER_LOOP_BACKEND";

    private IoRegistration?[] _ready = new IoRegistration?[64];
    private IoReadiness[] _readiness = new IoReadiness[64];
    private int _readyCount;

    /// <summary>The backend's name: <c>epoll</c> or <c>select</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What <see cref="Loop.Post"/> signals to end a wait.</summary>
    public abstract Wakeup Wakeup { get; }

    /// <summary>System calls made to change what the kernel watches; tests check that a steady loop makes none.</summary>
    public long ControlCalls { get; protected set; }

    /// <summary>
    /// Picks the backend: <paramref name="requested"/>, else the environment variable, else
    /// epoll where the system has it and select elsewhere.
    /// </summary>
    public static IoPoller Create(string? requested)
    {
        var name = requested ?? Environment.GetEnvironmentVariable(BackendVariable);
        switch (name)
        {
            case null or "":
                return OperatingSystem.IsLinux() && EpollPoller.TryCreate() is { } epoll ? epoll : new SelectPoller();
            case "epoll":
                return (OperatingSystem.IsLinux() ? EpollPoller.TryCreate() : null) ?? throw LoopErrors.BackendUnavailable(name);
            case "select":
                return new SelectPoller();
            default:
                throw LoopErrors.UnknownBackend(name);
        }
    }

    /// <summary>A socket's first watcher: the kernel learns of the socket (throws when it refuses).</summary>
    public abstract void Add(IoRegistration registration);

    /// <summary>The socket's interest may have changed since the kernel last heard of it.</summary>
    public abstract void Update(IoRegistration registration);

    /// <summary>The socket's last watcher is gone.</summary>
    public abstract void Remove(IoRegistration registration);

    /// <summary>
    /// Waits up to <paramref name="timeoutMicroseconds"/> (-1: for as long as it takes) for a
    /// watched socket or the wake-up, drains the wake-up, and returns how many sockets are ready.
    /// </summary>
    public int Wait(int timeoutMicroseconds)
    {
        // What the last wait found is not kept alive past its pass.
        Array.Clear(_ready, 0, _readyCount);
        _readyCount = 0;
        WaitForReady(timeoutMicroseconds);
        return _readyCount;
    }

    /// <summary>The registration of the <paramref name="index"/>th ready socket of the last wait.</summary>
    public IoRegistration ReadyRegistration(int index) => _ready[index]!;

    /// <summary>What the last wait found of the <paramref name="index"/>th ready socket.</summary>
    public IoReadiness ReadyEvents(int index) => _readiness[index];

    public abstract void Dispose();

    /// <summary>The backend's wait; reports each ready socket once with <see cref="AddReady"/>.</summary>
    protected abstract void WaitForReady(int timeoutMicroseconds);

    protected void AddReady(IoRegistration registration, IoReadiness readiness)
    {
        if (_readyCount == _ready.Length)
        {
            Array.Resize(ref _ready, _ready.Length * 2);
            Array.Resize(ref _readiness, _readiness.Length * 2);
        }

        _ready[_readyCount] = registration;
        _readiness[_readyCount] = readiness;
        _readyCount++;
    }
}
