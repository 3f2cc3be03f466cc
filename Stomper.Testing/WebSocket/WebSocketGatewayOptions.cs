using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;

namespace Stomper.Testing;

/// <summary>
/// How a <see cref="WebSocketGateway"/> answers upgrades and relays, including the faults a
/// real server cannot be made to produce. Read at each new connection (and, for the close
/// settings, as bytes are relayed), so a test may change them between connects.
/// </summary>
public sealed class WebSocketGatewayOptions
{
    /// <summary>The path the upgrade is accepted on (default <c>/ws</c>); any other gets 404 Not Found, as RabbitMQ's Web-STOMP answers.</summary>
    public string Path { get; set; } = "/ws";

    /// <summary>When set, every upgrade is refused with this HTTP status (401, 403, 503 ...).</summary>
    public int? RefuseWith { get; set; }

    /// <summary>Reads the upgrade request and never answers: a server that stalls the handshake.</summary>
    public bool NeverAnswer { get; set; }

    /// <summary>
    /// The subprotocol answered: null (the default) picks the first offered of
    /// <c>v12.stomp</c>, <c>v11.stomp</c>, <c>v10.stomp</c>; an empty string answers none;
    /// anything else is answered as given, offered or not.
    /// </summary>
    public string? Subprotocol { get; set; }

    /// <summary>Above 0: what the backend sends is relayed in WebSocket messages of at most this many bytes, so frames span messages.</summary>
    public int SplitAt { get; set; }

    /// <summary>
    /// When set, after relaying this many complete frames (counted by their NUL) and
    /// <see cref="CloseMidFrameBytes"/> bytes of the next, the gateway sends a close frame
    /// with <see cref="CloseStatus"/> and <see cref="CloseReason"/>: a close mid-frame.
    /// </summary>
    public int? CloseAfterFrames { get; set; }

    /// <summary>Bytes of the frame after <see cref="CloseAfterFrames"/> relayed before the close frame.</summary>
    public int CloseMidFrameBytes { get; set; } = 5;

    /// <summary>The status of the close frames the gateway sends (default 1001, going away).</summary>
    public WebSocketCloseStatus CloseStatus { get; set; } = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>The reason of the close frames the gateway sends.</summary>
    public string CloseReason { get; set; } = "gateway closing";

    /// <summary>With a certificate (and its key), the gateway speaks TLS: <c>wss://</c>.</summary>
    public X509Certificate2? Certificate { get; set; }
}
