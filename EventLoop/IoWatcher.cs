using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// Calls back whenever a socket is readable or writable (AnyEvent's <c>AE::io</c>).
/// Level-triggered, as in AnyEvent: the callback is called on every pass while the
/// condition holds, so a reader should read until the socket would block, and a
/// writer should dispose its watcher once it has nothing left to write.
/// </summary>
public sealed class IoWatcher : Watcher
{
    private readonly Action _callback;

    internal IoWatcher(Loop loop, Socket socket, IoDirection direction, Action callback, IoRegistration registration)
        : base(loop)
    {
        Socket = socket;
        Direction = direction;
        _callback = callback;
        Registration = registration;
    }

    /// <summary>The watched socket.</summary>
    public Socket Socket { get; }

    /// <summary>Readable or writable.</summary>
    public IoDirection Direction { get; }

    /// <summary>The loop's record of the socket, shared by all its watchers.</summary>
    internal IoRegistration Registration { get; }

    /// <summary>The user's callback, handed to the loop as it is: a method group here would allocate a delegate per call.</summary>
    internal Action Callback => _callback;

    private protected override void OnDisposed() => Loop.RemoveIo(this);
}
