using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// The watchers of one socket, keyed by its <see cref="SafeSocketHandle"/>: the object that
/// lives exactly as long as the descriptor, where the descriptor's number is reused by the
/// kernel the moment it is closed. Also what the backend last told the kernel about it.
/// </summary>
internal sealed class IoRegistration
{
    private bool _hasDisposed;

    public IoRegistration(Socket socket, SafeSocketHandle handle)
    {
        Socket = socket;
        Handle = handle;
    }

    public Socket Socket { get; }

    public SafeSocketHandle Handle { get; }

    /// <summary>The watchers in the order they came; disposed ones stay (inactive) until <see cref="Compact"/>.</summary>
    public List<IoWatcher> Watchers { get; } = new(2);

    public int Readers { get; private set; }

    public int Writers { get; private set; }

    /// <summary>The directions some watcher waits for.</summary>
    public IoReadiness Interest => (Readers > 0 ? IoReadiness.Read : 0) | (Writers > 0 ? IoReadiness.Write : 0);

    /// <summary>The interest the kernel holds for this socket (epoll); None when it holds nothing.</summary>
    public IoReadiness Registered { get; set; }

    /// <summary>The key the kernel hands back with each event (epoll): a slot and a generation, never a descriptor number.</summary>
    public ulong Token { get; set; }

    /// <summary>Queued in the loop's list of registrations to bring up to date before the next wait.</summary>
    public bool Changed { get; set; }

    /// <summary>What the current wait found (select backend's scratch).</summary>
    public IoReadiness Found { get; set; }

    /// <summary>Adds a watcher; true when the interest changed (its direction's first watcher).</summary>
    public bool Add(IoWatcher watcher)
    {
        Watchers.Add(watcher);
        return watcher.Direction == IoDirection.Read ? ++Readers == 1 : ++Writers == 1;
    }

    /// <summary>
    /// A disposed watcher leaves the counts now and <see cref="Watchers"/> at the next
    /// <see cref="Compact"/>, before the next wait: a dispatch walking the list while a callback
    /// disposes one must not see the others shift into its place (skipped) or a replacement
    /// added in the pass move into the part it walks (called at once). True when the interest
    /// changed (its direction's last watcher).
    /// </summary>
    public bool Remove(IoWatcher watcher)
    {
        _hasDisposed = true;
        return watcher.Direction == IoDirection.Read ? --Readers == 0 : --Writers == 0;
    }

    /// <summary>Drops the disposed watchers from <see cref="Watchers"/>; true when none is left.</summary>
    public bool Compact()
    {
        if (_hasDisposed)
        {
            _hasDisposed = false;
            Watchers.RemoveAll(static watcher => !watcher.IsActive);
        }

        return Watchers.Count == 0;
    }

}
