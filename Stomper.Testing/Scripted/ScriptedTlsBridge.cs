using System.Net.Sockets;
using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// A <see cref="ScriptedConnection"/> behind TLS: the client's transport is one end of a
/// <see cref="MemoryPipe"/>; at the other, a <see cref="TlsTransport"/> in accept mode
/// decrypts what the client sends for the scripted connection and encrypts what it pushes.
/// The scripted connection's node decides whether the connect succeeds, as without TLS.
/// </summary>
internal sealed class ScriptedTlsBridge : ITransport
{
    private readonly ITransport _scriptedEnd;
    private readonly MemoryPipe _pipe;
    private readonly TlsTransport _server;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private bool _closed;

    public ScriptedTlsBridge(Loop loop, ScriptedConnection scripted, TlsContext context)
    {
        _scriptedEnd = scripted;
        _pipe = new MemoryPipe(loop);
        _server = new TlsTransport(loop, _pipe.Server, TlsMode.Accept, context, innerConnected: true);
    }

    public void Connect(string host, int port, Action<string?> completed)
    {
        _scriptedEnd.Connect(host, port, error =>
        {
            if (error is not null)
            {
                completed(error);
                return;
            }

            _server.Connect(host, port, ServerHandshakeDone);
            _pipe.Client.Connect(host, port, completed);
        });
    }

    public void WatchRead(Action? onReadable) => _pipe.Client.WatchRead(onReadable);

    public void WatchWrite(Action? onWritable) => _pipe.Client.WatchWrite(onWritable);

    public int Receive(byte[] buffer, int offset, int count) => _pipe.Client.Receive(buffer, offset, count);

    public int Send(byte[] buffer, int offset, int count) => _pipe.Client.Send(buffer, offset, count);

    public void Configure(bool noDelay, bool keepAlive)
    {
    }

    public void Dispose()
    {
        // The server's side reads the end-of-file (after a close_notify, if one was sent)
        // in a later pass, after what was sent before it, and then lets the scripted connection go.
        _pipe.Client.Dispose();
    }

    private void ServerHandshakeDone(string? error)
    {
        if (error is not null)
        {
            Close();
            return;
        }

        _server.WatchRead(FromClient);
        _scriptedEnd.WatchRead(FromScript);
    }

    /// <summary>What the client sent, decrypted, for the scripted connection to parse and answer.</summary>
    private void FromClient() => Pump(_server, n => _scriptedEnd.Send(_buffer, 0, n));

    /// <summary>What the script pushed, encrypted for the client; its end-of-file a close_notify, its I/O error a bare close.</summary>
    private void FromScript() => Pump(_scriptedEnd, n =>
    {
        for (var sent = 0; sent < n;)
        {
            sent += _server.Send(_buffer, sent, n - sent);
        }
    });

    private void Pump(ITransport from, Action<int> forward)
    {
        while (!_closed)
        {
            int n;
            try
            {
                n = from.Receive(_buffer, 0, _buffer.Length);
                if (n > 0)
                {
                    forward(n);
                    continue;
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                if (e is SocketException)
                {
                    // The script's PushIoError: the client sees the connection cut, with no close_notify.
                    _pipe.Server.Dispose();
                }

                Close();
                return;
            }

            if (n == 0)
            {
                Close();
            }

            return;
        }
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _server.Dispose();
        _scriptedEnd.Dispose();
    }
}
