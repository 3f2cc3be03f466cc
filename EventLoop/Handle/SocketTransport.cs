using System.Net;
using System.Net.Sockets;

namespace EventLoop;

/// <summary>
/// A TCP stream from <see cref="System.Net.Sockets"/>, driven by the loop: the connect
/// (and the name resolution before it) completes on the runtime's threads and is
/// handed back with <see cref="Loop.Post"/>; reads and writes are non-blocking calls
/// made on the loop thread when an <see cref="IoWatcher"/> says the socket is ready.
/// </summary>
public sealed class SocketTransport : ITransport
{
    private readonly Loop _loop;
    private Socket? _socket;
    private IoWatcher? _readWatcher;
    private IoWatcher? _writeWatcher;
    private CancellationTokenSource? _connecting;
    private IoWatcher? _connectWatcher;
    private Socket? _connectingSocket;
    private bool _disposed;

    /// <summary>A transport that will connect when asked.</summary>
    public SocketTransport(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        _loop = loop;
    }

    /// <summary>A transport over a socket that is already connected (an accepted one, say).</summary>
    public SocketTransport(Loop loop, Socket connected)
        : this(loop)
    {
        ArgumentNullException.ThrowIfNull(connected);
        connected.Blocking = false;
        _socket = connected;
    }

    /// <summary>The socket, once connected.</summary>
    public Socket? Socket => _socket;

    /// <inheritdoc/>
    public void Connect(string host, int port, Action<string?> completed)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(completed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connecting = new CancellationTokenSource();
        _ = ConnectAsync(host, port, completed, _connecting.Token);
    }

    /// <inheritdoc/>
    public void WatchRead(Action? onReadable) => Watch(ref _readWatcher, IoDirection.Read, onReadable);

    /// <inheritdoc/>
    public void WatchWrite(Action? onWritable) => Watch(ref _writeWatcher, IoDirection.Write, onWritable);

    /// <inheritdoc/>
    public int Receive(byte[] buffer, int offset, int count)
    {
        var socket = _socket ?? throw LoopErrors.NotConnected();
        var n = socket.Receive(buffer.AsSpan(offset, count), SocketFlags.None, out var error);
        return error switch
        {
            SocketError.Success => n,
            SocketError.WouldBlock => -1,
            _ => throw new SocketException((int)error),
        };
    }

    /// <inheritdoc/>
    public int Send(byte[] buffer, int offset, int count)
    {
        var socket = _socket ?? throw LoopErrors.NotConnected();
        var n = socket.Send(buffer.AsSpan(offset, count), SocketFlags.None, out var error);
        return error switch
        {
            SocketError.Success => n,
            SocketError.WouldBlock => 0,
            _ => throw new SocketException((int)error),
        };
    }

    /// <inheritdoc/>
    public void Configure(bool noDelay, bool keepAlive)
    {
        if (_socket is { } socket)
        {
            Configure(socket, noDelay, keepAlive);
        }
    }

    /// <summary>AnyEvent::Handle's <c>no_delay</c> and <c>keepalive</c> on a connected socket (a WebSocket's too).</summary>
    internal static void Configure(Socket socket, bool noDelay, bool keepAlive)
    {
        socket.NoDelay = noDelay;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, keepAlive);
    }

    /// <summary>Stops watching and closes the socket; a connect still running is cancelled and never reports.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _connecting?.Cancel();
        _connectWatcher?.Dispose();
        _connectingSocket?.Dispose();
        _connectWatcher = null;
        _connectingSocket = null;
        _readWatcher?.Dispose();
        _writeWatcher?.Dispose();
        _readWatcher = _writeWatcher = null;
        _socket?.Dispose();
        _socket = null;
    }

    private void Watch(ref IoWatcher? watcher, IoDirection direction, Action? callback)
    {
        watcher?.Dispose();
        watcher = null;
        if (callback is not null && _socket is { } socket)
        {
            watcher = _loop.Io(socket, direction, callback);
        }
    }

    private async Task ConnectAsync(string host, int port, Action<string?> completed, CancellationToken cancel)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            PostOrDrop(() => completed(e.Message));
            return;
        }

        PostOrDrop(() => ConnectNext(addresses, 0, port, LoopErrors.NoAddress(), completed));
    }

    private void PostOrDrop(Action action)
    {
        try
        {
            _loop.Post(action);
        }
        catch (ObjectDisposedException)
        {
            // The loop is gone, and the handle with it.
        }
    }

    /// <summary>
    /// A non-blocking connect(2) on the loop thread, completed when the loop sees the socket
    /// writable. Not <see cref="Socket.ConnectAsync(EndPoint)"/>: that registers the socket with
    /// the runtime's epoll thread, which then wakes a thread-pool worker on every readiness
    /// change of a socket the loop already polls; in the consume benchmark those workers spun
    /// for about a fifth of a core. Every address is tried in turn, as a resolver hands them out.
    /// </summary>
    private void ConnectNext(IPAddress[] addresses, int index, int port, string lastError, Action<string?> completed)
    {
        if (_disposed)
        {
            return;
        }

        if (index >= addresses.Length)
        {
            completed(lastError);
            return;
        }

        Socket socket;
        try
        {
            socket = new Socket(addresses[index].AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        }
        catch (SocketException e)
        {
            // An address family this host cannot open (IPv6 switched off, say): try the next address.
            ConnectNext(addresses, index + 1, port, e.Message, completed);
            return;
        }

        var endpoint = new IPEndPoint(addresses[index], port);
        try
        {
            socket.Connect(endpoint);
            Finish(socket, null, completed);
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // The usual case: the handshake goes on in the kernel.
        }
        catch (SocketException e)
        {
            socket.Dispose();
            ConnectNext(addresses, index + 1, port, e.Message, completed);
            return;
        }

        _connectingSocket = socket;
        _connectWatcher = _loop.Io(socket, IoDirection.Write, () =>
        {
            _connectWatcher?.Dispose();
            _connectWatcher = null;
            _connectingSocket = null;
            var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error == SocketError.Success)
            {
                Finish(socket, null, completed);
                return;
            }

            socket.Dispose();
            ConnectNext(addresses, index + 1, port, new SocketException((int)error).Message, completed);
        });
    }

    private void Finish(Socket? connected, string? error, Action<string?> completed)
    {
        if (_disposed)
        {
            connected?.Dispose();
            return;
        }

        if (connected is not null)
        {
            _socket = connected;
            completed(null);
        }
        else
        {
            completed(error ?? "Connection failed");
        }
    }
}
