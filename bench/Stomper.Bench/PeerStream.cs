using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Stomper.Bench;

/// <summary>
/// One connection of the <see cref="StompPeer"/>: the socket itself, or an
/// <see cref="SslStream"/> over it. Writes are serialized, for the flood thread writes while
/// the reading thread may answer a receipt, and SslStream allows one writer at a time.
/// </summary>
internal sealed class PeerStream : IDisposable
{
    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly Lock _writing = new();

    private PeerStream(Socket socket, SslStream? tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>Wraps an accepted socket, running the TLS handshake first when given a certificate; null when the handshake fails.</summary>
    public static PeerStream? Open(Socket socket, X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return new PeerStream(socket, null);
        }

        var gathering = new CoalescingSocketStream(socket);
        var tls = new SslStream(gathering);
        try
        {
            tls.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = certificate });
            gathering.Gather = true;
            return new PeerStream(socket, tls);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            tls.Dispose();
            socket.Dispose();
            return null;
        }
    }

    public int Receive(byte[] buffer, int offset, int count) =>
        _tls is { } tls ? tls.Read(buffer, offset, count) : _socket.Receive(buffer, offset, count, SocketFlags.None);

    public void Send(ReadOnlySpan<byte> bytes)
    {
        lock (_writing)
        {
            if (_tls is { } tls)
            {
                tls.Write(bytes);
                tls.Flush();
            }
            else
            {
                _socket.Send(bytes);
            }
        }
    }

    /// <summary>Ends the session: a close_notify first over TLS, then the TCP close.</summary>
    public void Shutdown()
    {
        lock (_writing)
        {
            if (_tls is { } tls)
            {
                tls.ShutdownAsync().GetAwaiter().GetResult();
                tls.Flush();
            }

            _socket.Shutdown(SocketShutdown.Both);
        }
    }

    public void Dispose()
    {
        _tls?.Dispose();
        _socket.Dispose();
    }
}
