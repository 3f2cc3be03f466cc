namespace Stomper.Testing;

/// <summary>How a <see cref="FakeBroker"/> treats new TCP connections.</summary>
public enum AcceptMode
{
    /// <summary>Accept and speak STOMP (the default).</summary>
    Accept,

    /// <summary>Accept, then close at once: the client connects and meets end-of-file.</summary>
    AcceptAndClose,

    /// <summary>No listener at all: a connect is refused (<c>Connection refused</c>).</summary>
    Refuse,

    /// <summary>
    /// Keep the listener but stop accepting, with its backlog filled, so that a further
    /// connect hangs as against a dead host (until the client's own connect timeout).
    /// </summary>
    Ignore,
}

/// <summary>What a <see cref="FakeBroker"/> is before any script: the answers of a small, correct STOMP broker.</summary>
public sealed record FakeBrokerOptions
{
    /// <summary>The versions the broker speaks; CONNECT gets the highest one the client also accepts.</summary>
    public IReadOnlyList<StompVersion> Versions { get; init; } = [StompVersion.V1_0, StompVersion.V1_1, StompVersion.V1_2];

    /// <summary>sx of CONNECTED's <c>heart-beat</c>: the broker beats every max(sx, cy) ms when both are above 0. 0: never.</summary>
    public int HeartBeatSend { get; init; }

    /// <summary>sy of CONNECTED's <c>heart-beat</c>: how often the broker wants the client's beats (reported only; the fake never judges the client dead).</summary>
    public int HeartBeatReceive { get; init; }

    /// <summary>CONNECTED's <c>server</c> header.</summary>
    public string ServerName { get; init; } = "FakeBroker/1.0";

    /// <summary>
    /// Whether the broker closes after an ERROR that refuses one command of an open session
    /// (a failed check, <see cref="FakeBroker.ErrorOn"/>, <see cref="FakeConnection.SendError"/>);
    /// default true, as the STOMP specification requires. False: a broker that keeps the
    /// session, as ActiveMQ does after a non-fatal protocol error and RabbitMQ after a frame
    /// that fails its checks. An ERROR before CONNECTED, or for a malformed frame, always closes.
    /// </summary>
    public bool CloseAfterError { get; init; } = true;

    /// <summary>
    /// The listener's backlog. <see cref="AcceptMode.Ignore"/> fills it with connections of
    /// its own, so a small value keeps that cheap.
    /// </summary>
    public int Backlog { get; init; } = 16;

    /// <summary>
    /// When set, the broker speaks TLS on its port (AnyEvent::Handle's <c>tls =&gt; 'accept'</c>)
    /// with this context, for example <c>TestCertificates.Shared.ServerContext()</c>; clients
    /// connect with <see cref="EventLoop.TlsMode.Connect"/>. Its graceful close sends a TLS close_notify.
    /// </summary>
    public EventLoop.TlsContext? Tls { get; init; }

    /// <summary>How long the blocking waits (<see cref="FakeBroker.WaitFor"/> and friends) and script steps wait by default.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
