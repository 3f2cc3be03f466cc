namespace Stomper.Tests.Model;

/// <summary>What a broker does with a new TCP connection.</summary>
internal enum ConnectMode
{
    /// <summary>Accept and speak STOMP.</summary>
    Accept,

    /// <summary>Refuse at once (<c>Connection refused</c>).</summary>
    Refuse,

    /// <summary>Never answer: the client's connection_timeout must end the wait.</summary>
    Hang,
}

/// <summary>
/// One node of the model: a small, correct STOMP broker in memory whose sessions and
/// live subscriptions are the truth the invariants compare the client against, and
/// which takes faults from the random schedule.
/// </summary>
internal sealed class ModelBroker
{
    private readonly ModelNetwork _network;
    private readonly List<ModelSession> _sessions = [];
    private long _sessionCount;
    private long _messageIds;

    public ModelBroker(ModelNetwork network, int port, StompVersion version)
    {
        _network = network;
        Port = port;
        Version = version;
    }

    public int Port { get; }

    public StompVersion Version { get; }

    public ConnectMode ConnectMode { get; set; } = ConnectMode.Accept;

    /// <summary>Armed fault: the next command carrying a receipt (or, failing that, any command) is answered with ERROR.</summary>
    public bool ErrorNextCommand { get; set; }

    /// <summary>Whether the broker closes the connection after an ERROR to a command (the specification says it must; not all do).</summary>
    public bool CloseAfterError { get; set; } = true;

    /// <summary>Armed fault: the connection that writes next is cut after this many more bytes.</summary>
    public int? CutAfterBytes { get; set; }

    public IReadOnlyList<ModelSession> Sessions => _sessions;

    public ModelNetwork Network => _network;

    /// <summary>Every live subscription, as (session, id).</summary>
    public IEnumerable<(string Session, string Id)> LiveSubscriptions =>
        _sessions.Where(s => s.IsOpen && s.SessionId is not null).SelectMany(s => s.SubscriptionIds.Select(id => (s.SessionId!, id)));

    public void Accept(MemoryTransport transport, Action<string?> completed)
    {
        var loop = _network.Loop;
        switch (ConnectMode)
        {
            case ConnectMode.Refuse:
                loop.Postpone(() => completed("Connection refused"));
                return;
            case ConnectMode.Hang:
                return;
        }

        loop.Postpone(() =>
        {
            if (transport.IsDisposed)
            {
                return;
            }

            var session = new ModelSession(this, transport);
            _sessions.Add(session);
            transport.Attach(session);
            completed(null);
        });
    }

    /// <summary>Takes every fault away, for the settling phase; sessions already silent stay silent until the client gives up on them.</summary>
    public void Heal()
    {
        ConnectMode = ConnectMode.Accept;
        ErrorNextCommand = false;
        CutAfterBytes = null;
    }

    /// <summary>The node dies: every connection is cut.</summary>
    public void KillSessions()
    {
        foreach (var session in _sessions.ToArray())
        {
            session.Close();
        }
    }

    public string NextSessionId() => $"session-{Port}-{++_sessionCount}";

    public string NextMessageId() => $"m-{Port}-{++_messageIds}";

    public void Forget(ModelSession session) => _sessions.Remove(session);

    /// <summary>A SEND (or a committed one) reaches every subscription to its destination on this node.</summary>
    public void Publish(Frame send)
    {
        var destination = send.Headers["destination"];
        foreach (var session in _sessions.ToArray())
        {
            session.Deliver(destination, send.Body);
        }
    }
}
