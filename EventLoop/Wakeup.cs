using System.Net;
using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// Lets another thread interrupt the loop's wait. The loop sleeps in
/// <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>,
/// which only wakes for sockets, so the signal is a datagram sent to a loopback socket
/// that sits in the read set. At most one datagram is in flight per sleep: posts made
/// while one is pending cost no system call.
/// </summary>
internal sealed class Wakeup : IDisposable
{
    private readonly Socket _receiver;
    private readonly Socket _sender;
    private readonly byte[] _drain = new byte[64];
    private int _pending;

    public Wakeup()
    {
        _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.Blocking = false;
        _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sender.Connect(_receiver.LocalEndPoint!);
    }

    public Socket Socket => _receiver;

    /// <summary>True when no signal is waiting to be drained.</summary>
    public bool IsIdle => Volatile.Read(ref _pending) == 0;

    /// <summary>Called from any thread after queueing work.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            try
            {
                _sender.Send([1], SocketFlags.None);
            }
            catch (ObjectDisposedException)
            {
                // The loop is gone; nobody is left to wake.
            }
        }
    }

    /// <summary>
    /// Called on the loop thread after the wait and before it looks at the queue. The
    /// datagrams go first and the flag after: a post that slips in between sends a fresh
    /// datagram, which wakes the next wait. (Clearing the flag first would let the drain
    /// swallow that datagram while the flag stays set, and every later post would then
    /// skip its datagram: a loop asleep with work queued.)
    /// </summary>
    public void Reset()
    {
        while (_receiver.Available > 0)
        {
            _receiver.Receive(_drain, SocketFlags.None, out _);
        }

        Volatile.Write(ref _pending, 0);
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }
}
