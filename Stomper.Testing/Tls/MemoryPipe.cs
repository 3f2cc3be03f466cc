using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// Two in-memory <see cref="ITransport"/> ends joined to each other on one loop: what one
/// end sends, the other receives. Put a <see cref="TlsTransport"/> (or a
/// <see cref="Handle"/> with <see cref="HandleOptions.Tls"/>) on each end to run TLS in a
/// unit test with no socket. <see cref="Client"/> connects when asked (always succeeds);
/// <see cref="Server"/> is connected already. Every end is always writable, unless
/// <see cref="ClientSendLimit"/> makes the client's end take only so much at a time.
/// </summary>
public sealed class MemoryPipe
{
    /// <summary>A pipe on <paramref name="loop"/>.</summary>
    public MemoryPipe(Loop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        Client = new MemoryPipeEnd(loop, this);
        Server = new MemoryPipeEnd(loop, this);
        Client.Peer = Server;
        Server.Peer = Client;
    }

    /// <summary>The connecting end (give it to <see cref="HandleOptions.Transport"/>).</summary>
    public MemoryPipeEnd Client { get; }

    /// <summary>The accepting end, connected from the start.</summary>
    public MemoryPipeEnd Server { get; }

    /// <summary>
    /// When above 0, the client's end takes at most this many bytes per send and then
    /// nothing until the server's end has read them all: a socket with a small buffer.
    /// </summary>
    public int ClientSendLimit { get; set; }
}
