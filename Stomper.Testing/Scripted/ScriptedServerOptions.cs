using EventLoop;

namespace Stomper.Testing;

/// <summary>How a <see cref="ScriptedStompServer"/> answers CONNECT.</summary>
public sealed record ScriptedServerOptions
{
    /// <summary>The versions the server speaks; CONNECT gets the highest one the client also accepts (1.0 when it sends no <c>accept-version</c>).</summary>
    public IReadOnlyList<StompVersion> Versions { get; init; } = [StompVersion.V1_0, StompVersion.V1_1, StompVersion.V1_2];

    /// <summary>
    /// sx of CONNECTED's <c>heart-beat</c> (1.1 and later), in milliseconds. The server
    /// never beats by itself: a test sends beats with <see cref="ScriptedConnection.PushHeartBeat"/>
    /// as it steps the clock, so that a missing beat is something the test chose.
    /// </summary>
    public int HeartBeatSend { get; init; }

    /// <summary>sy of CONNECTED's <c>heart-beat</c>: how often the server wants the client's beats, in milliseconds.</summary>
    public int HeartBeatReceive { get; init; }

    /// <summary>CONNECTED's <c>server</c> header.</summary>
    public string ServerName { get; init; } = "ScriptedStompServer/1.0";

    /// <summary>
    /// When set, the server speaks TLS (AnyEvent::Handle's <c>tls =&gt; 'accept'</c>) with this
    /// context: clients must connect with <see cref="TlsMode.Connect"/>. For example
    /// <c>TestCertificates.Shared.ServerContext()</c>, which a client trusts through
    /// <c>TestCertificates.Shared.ClientContext()</c>. The handshake happens when the loop
    /// runs, inside the client's connect, as with a real broker.
    /// </summary>
    public TlsContext? Tls { get; init; }
}
