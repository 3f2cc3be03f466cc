using System.Net;
using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// The select backend's wake-up: <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>
/// only wakes for sockets, so the signal is a datagram sent to a loopback socket that sits
/// in the read set.
/// </summary>
internal sealed class DatagramWakeup : Wakeup
{
    private readonly Socket _receiver;
    private readonly Socket _sender;
    private readonly byte[] _drain = new byte[64];

    public DatagramWakeup()
    {
        _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.Blocking = false;
        _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sender.Connect(_receiver.LocalEndPoint!);
    }

    public Socket Socket => _receiver;

    public override void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    protected override void Send() => _sender.Send([1], SocketFlags.None);

    protected override void Drain()
    {
        while (_receiver.Available > 0)
        {
            _receiver.Receive(_drain, SocketFlags.None, out _);
        }
    }
}
