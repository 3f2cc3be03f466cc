namespace EventLoop;

/// <summary>
/// AnyEvent::Handle's <c>tls</c> parameter: whether the handle speaks TLS, and on which side.
/// </summary>
public enum TlsMode
{
    /// <summary>Plain TCP (no <c>tls</c> key): the default.</summary>
    None,

    /// <summary><c>tls =&gt; 'connect'</c>: the client side; the handshake runs inside the connect, before <c>on_connect</c>.</summary>
    Connect,

    /// <summary><c>tls =&gt; 'accept'</c>: the server side, presenting <see cref="TlsContext.CertFile"/> (or <see cref="TlsContext.ServerCertificate"/>).</summary>
    Accept,
}
