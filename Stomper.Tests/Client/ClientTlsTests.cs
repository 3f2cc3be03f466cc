using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>The client and the cluster over TLS (handle_params' tls and tls_ctx), against the scripted server behind TLS.</summary>
[TestFixture]
public sealed class ClientTlsTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    private Loop _loop = null!;
    private ScriptedStompServer _server = null!;
    private List<string> _trace = null!;

    [SetUp]
    public void SetUp()
    {
        _loop = new Loop(new FakeClock());
        _server = new ScriptedStompServer(new ScriptedServerOptions { Tls = Certs.ServerContext(), HeartBeatSend = 1000 });
        _trace = [];
    }

    [TearDown]
    public void TearDown() => _loop.Dispose();

    [Test]
    public void A_client_over_TLS_logs_in_subscribes_and_receives_a_message_and_on_connect_follows_the_handshake()
    {
        using var client = Client(onConnect: () => _trace.Add($"on_connect, CONNECT not yet sent: {_server.Connections.Count == 1 && _server.Connection.Received.Count == 0}"));
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = Record("subscribe") }, m => _trace.Add($"message {m.Body}"));
        _loop.RunPending();
        _server.Connection.PushMessage("/queue/a", "over tls");
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { "on_connect, CONNECT not yet sent: True", "subscribe: receipt", "message over tls" }));
        Assert.That(_server.Connection.Received.Select(f => f.Command), Is.EqualTo(new[] { "CONNECT", "SUBSCRIBE" }));
    }

    [Test]
    public void Autocorked_sends_over_TLS_all_arrive_and_their_receipts_come_back()
    {
        using var client = Client(autocork: true);
        _loop.RunPending();
        for (var i = 0; i < 50; i++)
        {
            client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = $"m{i}" }, Record("send"));
        }

        _loop.RunPending();

        Assert.That(_server.Connection.ReceivedBy("SEND"), Has.Count.EqualTo(50));
        Assert.That(_trace, Is.EqualTo(Enumerable.Repeat("send: receipt", 50)));
    }

    [Test]
    public void Sends_without_receipts_are_confirmed_once_their_ciphertext_has_left()
    {
        using var client = Client();
        _loop.RunPending();
        client.Send(new() { ["destination"] = "/queue/a", Body = "fire and forget" }, Record("send"));
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { "send: sent" }));
        Assert.That(_server.Connection.ReceivedBy("SEND").Single().Body, Is.EqualTo("fire and forget"));
    }

    [Test]
    public void A_broker_certificate_from_an_untrusted_root_is_E_CANT_CONN_with_the_reason()
    {
        _server = new ScriptedStompServer(new ScriptedServerOptions { Tls = Certs.ServerContext(Certs.Untrusted) });
        using var client = Client();
        _loop.RunPending();

        Assert.That(_trace.Single(), Does.StartWith($"on_error: {E_CANT_CONN} Can't connect to localhost:61613: TLS certificate verification failed").And.Contain("not trusted"));
    }

    [Test]
    public void The_peername_replaces_the_host_in_the_check()
    {
        _server = new ScriptedStompServer(new ScriptedServerOptions { Tls = Certs.ServerContext(Certs.WrongName) });
        using var wrong = Client();
        _loop.RunPending();
        Assert.That(_trace[0], Does.Contain("RemoteCertificateNameMismatch"));

        _trace.Clear();
        using var right = Client(peername: "broker.example");
        _loop.RunPending();
        Assert.That(_trace, Is.Empty);
        Assert.That(right.IsConnected, Is.True);
    }

    [Test]
    public void A_handshake_that_never_ends_is_cut_by_connection_timeout()
    {
        using var client = new StomperClient(new StomperOptions
        {
            Host = "localhost",
            Port = 61613,
            Loop = _loop,
            Transport = loop => new MemoryPipe(loop).Client,
            ConnectionTimeout = 5,
            HandleParams = new() { Tls = TlsMode.Connect, TlsCtx = Certs.ClientContext() },
            OnError = err => _trace.Add($"on_error: {err.Code} {err.Message}"),
        });
        _loop.Advance(4);
        Assert.That(_trace, Is.Empty);
        _loop.Advance(2);

        Assert.That(_trace, Is.EqualTo(new[] { $"on_error: {E_CANT_CONN} Can't connect to localhost:61613: Connection timed out" }));
    }

    [Test]
    public void A_close_without_close_notify_is_E_IO_with_the_reason()
    {
        using var client = Client();
        _loop.RunPending();
        _server.Connection.PushIoError();
        _loop.RunPending();

        Assert.That(_trace[0], Is.EqualTo($"on_error: {E_IO} Connection closed by remote host without a TLS close_notify (what it sent last may be cut off)"));
    }

    [Test]
    public void A_close_with_close_notify_is_E_CONN_CLOSED_BY_REMOTE_HOST()
    {
        using var client = Client();
        _loop.RunPending();
        _server.Connection.PushEof();
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { $"on_error: {E_CONN_CLOSED_BY_REMOTE_HOST} Connection closed by remote host.", "on_disconnect" }));
    }

    [Test]
    public void Heart_beats_over_TLS_keep_the_connection_and_their_absence_ends_it()
    {
        using var client = Client(heartbeat: [0, 1000]);
        _loop.RunPending();
        for (var i = 0; i < 5; i++)
        {
            _server.Connection.PushHeartBeat();
            _loop.Advance(1);
        }

        Assert.That(client.IsConnected, Is.True, string.Join("; ", _trace));
        _loop.Advance(5);
        Assert.That(_trace, Has.Some.Contains(E_READ_TIMEDOUT.ToString()));
    }

    [Test]
    public void A_cluster_over_TLS_checks_each_node_by_its_own_host_and_fails_over()
    {
        var messages = new List<string>();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("localhost", 61613), new("127.0.0.1", 61614)],
            Random = new Random(1),
            Loop = _loop,
            Transport = _server.Transport,
            HandleParams = new() { Tls = TlsMode.Connect, TlsCtx = Certs.ClientContext() },
            OnNodeError = (err, host, _) => _trace.Add($"node error {host}: {err.Message}"),
        });
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, m => messages.Add(m.Body));
        _loop.RunPending();
        var first = _server.Connection.Node!;
        var second = first.Host == "localhost" ? _server.Node("127.0.0.1", 61614) : _server.Node("localhost", 61613);

        first.Kill();
        _loop.RunPending();
        second.Connection.PushMessage("/queue/a", "after failover");
        _loop.RunPending();

        Assert.That(messages, Is.EqualTo(new[] { "after failover" }));
        Assert.That(_trace[0], Is.EqualTo($"node error {first.Host}: Connection closed by remote host."), string.Join("\n", _trace));
    }

    [Test]
    public void A_client_refuses_the_accepting_side_of_TLS()
    {
        var e = Assert.Throws<ArgumentException>(() => new StomperClient(new StomperOptions
        {
            Loop = _loop,
            Transport = _server.Transport,
            HandleParams = new() { Tls = TlsMode.Accept },
        }));
        Assert.That(e!.Message, Is.EqualTo("\"tls\" must be TlsMode.Connect (or TlsMode.None for plain TCP) for a client, not Accept"));
    }

    [Test]
    public void An_unreadable_key_file_is_E_CANT_CONN_naming_the_setup_failure()
    {
        using var client = new StomperClient(new StomperOptions
        {
            Host = "localhost",
            Loop = _loop,
            Transport = _server.Transport,
            HandleParams = new() { Tls = TlsMode.Connect, TlsCtx = new TlsContext { CertFile = "/nonexistent/client.pem", KeyFile = "/nonexistent/client-key.pem" } },
            OnError = err => _trace.Add($"on_error: {err.Code} {err.Message}"),
        });
        _loop.RunPending();

        Assert.That(_trace.Single(), Does.StartWith($"on_error: {E_CANT_CONN} Can't connect to localhost:61613: TLS setup failed: ").And.Contain("/nonexistent/client.pem"));
    }

    private StomperClient Client(Action? onConnect = null, bool autocork = false, string? peername = null, int[]? heartbeat = null) =>
        new(new StomperOptions
        {
            Host = "localhost",
            Port = 61613,
            Loop = _loop,
            Transport = _server.Transport,
            Heartbeat = heartbeat,
            HandleParams = new() { Tls = TlsMode.Connect, TlsCtx = Certs.ClientContext(), Autocork = autocork, Peername = peername },
            OnConnect = onConnect,
            OnError = err => _trace.Add($"on_error: {err.Code} {err.Message}"),
            OnDisconnect = () => _trace.Add("on_disconnect"),
        });

    private Action<Frame?, StompError?> Record(string label) => (receipt, err) =>
        _trace.Add(err is null ? $"{label}: {(receipt is null ? "sent" : "receipt")}" : $"{label}: {err.Code} {err.Message}");
}
