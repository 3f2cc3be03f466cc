namespace EventLoop;

/// <summary>
/// What AnyEvent::Handle takes in <c>new</c>, in PascalCase: <c>connect =&gt; [$host,
/// $port]</c> is <see cref="Host"/> and <see cref="Port"/>, <c>on_prepare</c> is
/// <see cref="OnPrepare"/>, and so on. Callbacks get the handle first, as in Perl.
/// </summary>
public sealed class HandleOptions
{
    /// <summary>Host to connect to (a name, an IPv4 or an IPv6 address). Null for a handle over an existing transport, or one given a <see cref="Url"/>.</summary>
    public string? Host { get; init; }

    /// <summary>TCP port to connect to.</summary>
    public int Port { get; init; }

    /// <summary>Called before connecting; returns the connect timeout in seconds (0: the kernel's). AnyEvent's <c>on_prepare</c>.</summary>
    public Func<Handle, double>? OnPrepare { get; init; }

    /// <summary>Called once connected, with the host and port (<c>on_connect</c>).</summary>
    public Action<Handle, string, int>? OnConnect { get; init; }

    /// <summary>Called when the connect fails, with the reason (<c>on_connect_error</c>); without it the failure goes to <see cref="OnError"/>.</summary>
    public Action<Handle, string>? OnConnectError { get; init; }

    /// <summary>Called on an error: the handle, whether it is fatal, the message (<c>on_error</c>).</summary>
    public Action<Handle, bool, string>? OnError { get; init; }

    /// <summary>Called when data has been added to the read buffer (<c>on_read</c>).</summary>
    public Action<Handle>? OnRead { get; init; }

    /// <summary>Called at end-of-file (<c>on_eof</c>); without it an end-of-file is a fatal error.</summary>
    public Action<Handle>? OnEof { get; init; }

    /// <summary>Called when the write buffer becomes empty (<c>on_drain</c>).</summary>
    public Action<Handle>? OnDrain { get; init; }

    /// <summary>Seconds without reading anything before a read timeout (<c>rtimeout</c>); 0 disables.</summary>
    public double RTimeout { get; init; }

    /// <summary>Seconds without write progress, while there is data to write, before a write timeout (<c>wtimeout</c>); 0 disables.</summary>
    public double WTimeout { get; init; }

    /// <summary>Called on a read timeout (<c>on_rtimeout</c>); without it the timeout is a fatal error.</summary>
    public Action<Handle>? OnRTimeout { get; init; }

    /// <summary>Called on a write timeout (<c>on_wtimeout</c>); without it the timeout is a fatal error.</summary>
    public Action<Handle>? OnWTimeout { get; init; }

    /// <summary>Coalesce writes until the end of the loop pass instead of writing at once (<c>autocork</c>).</summary>
    public bool Autocork { get; init; }

    /// <summary>Disable Nagle's algorithm (<c>no_delay</c>).</summary>
    public bool NoDelay { get; init; }

    /// <summary>Enable TCP keep-alive probes (<c>keepalive</c>).</summary>
    public bool KeepAlive { get; init; }

    /// <summary>
    /// Seconds for which a disposed handle keeps writing what is left in its write
    /// buffer, silently, before closing (<c>linger</c>; AnyEvent's default 3600). 0
    /// discards unsent data at once.
    /// </summary>
    public double Linger { get; init; } = 3600;

    /// <summary>How many bytes one read asks for (<c>read_size</c>).</summary>
    public int ReadSize { get; init; } = 64 * 1024;

    /// <summary>A fatal error when the read buffer would grow beyond this many bytes (<c>rbuf_max</c>); 0 for no limit.</summary>
    public int RbufMax { get; init; }

    /// <summary>A fatal error when the write buffer would grow beyond this many bytes (<c>wbuf_max</c>); 0 for no limit.</summary>
    public int WbufMax { get; init; }

    /// <summary>Makes the transport; the default makes a <see cref="SocketTransport"/>. The seam for mocks.</summary>
    public Func<Loop, ITransport>? Transport { get; init; }

    /// <summary><c>tls</c>: <see cref="TlsMode.Connect"/> or <see cref="TlsMode.Accept"/> to speak TLS; <see cref="TlsMode.None"/> (the default) for plain TCP.</summary>
    public TlsMode Tls { get; init; }

    /// <summary><c>tls_ctx</c>: certificates, trust and checks; null gives the defaults (verify the chain against the system's roots, and the host name).</summary>
    public TlsContext? TlsCtx { get; init; }

    /// <summary>
    /// <c>peername</c>: the name the peer's certificate must carry, also sent as SNI. Null: the
    /// host connected to (an IP address is checked against the certificate's IP entries and sends no SNI).
    /// </summary>
    public string? Peername { get; init; }

    /// <summary>
    /// A <c>ws://</c> or <c>wss://</c> URL to connect to instead of <see cref="Host"/> and
    /// <see cref="Port"/> (which then come from it): the handle reads and writes the byte
    /// stream carried in WebSocket messages, through a <see cref="WebSocketTransport"/>. Not
    /// in AnyEvent::Handle. <c>wss://</c> speaks TLS with <see cref="TlsCtx"/> and
    /// <see cref="Peername"/>; <see cref="Tls"/> stays <see cref="TlsMode.None"/>, and
    /// <see cref="Transport"/> is not used (the WebSocket makes its own connection).
    /// </summary>
    public Uri? Url { get; init; }

    /// <summary>The subprotocols and HTTP headers of a <see cref="Url"/>'s upgrade; null offers no subprotocol and adds no header.</summary>
    public WebSocketOptions? WebSocket { get; init; }
}
