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

    internal IoWatcher(Loop loop, Socket socket, IoDirection direction, Action callback)
        : base(loop)
    {
        Socket = socket;
        Direction = direction;
        _callback = callback;
    }

    /// <summary>The watched socket.</summary>
    public Socket Socket { get; }

    /// <summary>Readable or writable.</summary>
    public IoDirection Direction { get; }

    internal void Invoke() => _callback();

    private protected override void OnDisposed() => Loop.RemoveIo(this);
}
