namespace EventLoop;

/// <summary>
/// How a <see cref="WebSocketTransport"/> asks for its upgrade, shared by every endpoint that
/// uses it (the nodes of a cluster, say): the subprotocols offered, extra HTTP headers, and a
/// hook that refreshes them before each connect. AnyEvent::Handle has no WebSocket; this is
/// new, and the endpoint itself is named by a <c>ws://</c> or <c>wss://</c> URL beside it
/// (<see cref="HandleOptions.Url"/>).
/// </summary>
public sealed class WebSocketOptions
{
    /// <summary>
    /// The subprotocols offered in <c>Sec-WebSocket-Protocol</c>, preferred first. The STOMP
    /// clients offer <c>v12.stomp</c>, <c>v11.stomp</c>, <c>v10.stomp</c> (the versions their
    /// CONNECT accepts) when this is null; a bare <see cref="WebSocketTransport"/> offers none.
    /// When some are offered, a server that accepts the upgrade without choosing one is
    /// refused, since it may not speak STOMP at all.
    /// </summary>
    public IReadOnlyList<string>? Subprotocols { get; init; }

    /// <summary>HTTP headers added to every upgrade request (an <c>Authorization</c> header, an <c>Origin</c>, a cookie).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>
    /// Called on the loop thread before each connect (reconnects included) with the URL about
    /// to be connected to; the headers it returns are added over <see cref="Headers"/> (a
    /// fresh bearer token, say). It must not block: fetch credentials elsewhere and hand the
    /// latest to it. An exception it throws fails that connect with its message.
    /// </summary>
    public Func<Uri, IReadOnlyDictionary<string, string>?>? OnPrepareHeaders { get; init; }
}
