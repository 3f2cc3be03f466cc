using EventLoop;

namespace Stomper;

/// <summary>
/// The AnyEvent::Handle parameters a client passes to its connection
/// (<c>handle_params =&gt; { autocork =&gt; 1, linger =&gt; 60 }</c>).
/// </summary>
public sealed class HandleParams
{
    /// <summary><c>autocork</c>: gather the frames of one loop pass into one write. Faster for publishers.</summary>
    public bool Autocork { get; init; }

    /// <summary><c>linger</c>: seconds a closed connection keeps flushing unsent frames (AnyEvent's default 3600); 0 or more.</summary>
    public double Linger { get; init; } = 3600;

    /// <summary><c>no_delay</c>: disable Nagle's algorithm.</summary>
    public bool NoDelay { get; init; }

    /// <summary><c>keepalive</c>: TCP keep-alive probes.</summary>
    public bool KeepAlive { get; init; }

    /// <summary><c>read_size</c>: bytes asked for per read; above 0.</summary>
    public int ReadSize { get; init; } = 64 * 1024;

    /// <summary><c>wbuf_max</c>: a connection error when more than this many bytes wait to be written; 0 for no limit.</summary>
    public int WbufMax { get; init; }

    /// <summary>
    /// <c>tls</c>: <see cref="TlsMode.Connect"/> speaks TLS to the broker (<c>tls =&gt; 'connect'</c>);
    /// the handshake runs inside the connect, within <c>connection_timeout</c>, before <c>on_connect</c>.
    /// </summary>
    public TlsMode Tls { get; init; }

    /// <summary><c>tls_ctx</c>: trust, client certificate and checks; null verifies the chain against the system's roots and the host name.</summary>
    public TlsContext? TlsCtx { get; init; }

    /// <summary><c>peername</c>: the name checked in the broker's certificate and sent as SNI; null: the host connected to.</summary>
    public string? Peername { get; init; }
}
