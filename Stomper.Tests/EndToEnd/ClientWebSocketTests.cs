using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using Stomper.Tests.EventLoop;
using static Stomper.ErrorCode;

namespace Stomper.Tests.EndToEnd;

/// <summary>
/// The client over STOMP-over-WebSocket, against the test kit's loopback gateway in front of
/// the fake broker: real sockets, real ClientWebSocket, and the faults a real server will not
/// produce on demand (split messages, refusals, a close mid-frame, a stalled upgrade).
/// </summary>
[TestFixture]
public sealed class ClientWebSocketTests
{
    private readonly List<IDisposable> _owned = [];
    private LoopDriver _driver = null!;
    private FakeBroker _broker = null!;
    private WebSocketGateway _gateway = null!;

    private List<string> Trace => _driver.Trace;

    [SetUp]
    public void SetUp()
    {
        _driver = new LoopDriver();
        _broker = Own(new FakeBroker().Start());
        _gateway = Own(new WebSocketGateway(_broker).Start());
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _owned.Clear();
        _driver.Dispose();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Insert(0, disposable);
        return disposable;
    }

    private StomperClient Client(Uri? url = null, WebSocketOptions? webSocket = null, double? connectionTimeout = null, HandleParams? handleParams = null, int[]? heartbeat = null) =>
        Own(new StomperClient(new()
        {
            Url = url ?? _gateway.Url,
            WebSocket = webSocket,
            ConnectionTimeout = connectionTimeout,
            HandleParams = handleParams,
            Heartbeat = heartbeat,
            Loop = _driver.Loop,
            OnConnect = () => Trace.Add("on_connect"),
            OnDisconnect = () => Trace.Add("on_disconnect"),
            OnError = err => Trace.Add($"on_error: {err.Code} {err.Message}"),
        }));

    private StomperClient Connected(Uri? url = null, WebSocketOptions? webSocket = null, HandleParams? handleParams = null, int[]? heartbeat = null)
    {
        var client = Client(url, webSocket, handleParams: handleParams, heartbeat: heartbeat);
        _driver.RunUntil(() => client.IsConnected || Trace.Any(t => t.StartsWith("on_error", StringComparison.Ordinal)), "CONNECTED");
        Assert.That(client.IsConnected, Is.True, string.Join(" | ", Trace));
        return client;
    }

    private List<Frame> Subscribed(StomperClient client, string destination, string ack = "auto")
    {
        var messages = new List<Frame>();
        _driver.Receipted(client, "SUBSCRIBE", new() { ["id"] = "s1", ["destination"] = destination, ["ack"] = ack, OnMessage = messages.Add });
        return messages;
    }

    private string FirstError() => Trace.First(t => t.StartsWith("on_error", StringComparison.Ordinal));

    private void WaitForError() => _driver.RunUntil(() => Trace.Any(t => t.StartsWith("on_error", StringComparison.Ordinal)), "on_error");

    [Test]
    public void Send_subscribe_ack_and_receipts_work_over_WebSocket_with_the_newest_subprotocol_chosen()
    {
        var client = Connected();
        var messages = Subscribed(client, "/queue/ws", "client-individual");
        byte[] body = [1, 0, 2, (byte)'\n', 0, 255];

        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/ws", BodyBytes = body });
        _driver.RunUntil(() => messages.Count == 1, "the MESSAGE");
        _driver.Receipted(client, "ACK", new() { Message = messages[0] });

        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_2));
        Assert.That(client.Url, Is.EqualTo(_gateway.Url));
        Assert.That((client.Host, client.Port), Is.EqualTo(("127.0.0.1", _gateway.Port)));
        Assert.That(messages[0].BodyBytes.ToArray(), Is.EqualTo(body));
        Assert.That(_broker.ReceivedBy("ACK").Single()["id"], Is.EqualTo(messages[0].Headers["ack"]));
        Assert.That(_gateway.Requests.Single().Subprotocols, Is.EqualTo(new[] { "v12.stomp", "v11.stomp", "v10.stomp" }));
        Assert.That(_gateway.Requests.Single().Path, Is.EqualTo("/ws"));
    }

    [Test]
    public void Frames_split_over_many_WebSocket_messages_are_put_back_together()
    {
        _gateway.Options.SplitAt = 3;
        var client = Connected();
        var messages = Subscribed(client, "/queue/split");

        for (var i = 0; i < 20; i++)
        {
            client.Send(new() { ["destination"] = "/queue/split", Body = $"message {i} " + new string('x', i * 37) });
        }

        _driver.RunUntil(() => messages.Count == 20, "20 MESSAGEs");
        Assert.That(messages.Select(m => m.Body), Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"message {i} " + new string('x', i * 37))));
    }

    [Test]
    public void Several_frames_in_one_WebSocket_message_are_all_dispatched_in_order()
    {
        using var backend = new TcpListener(IPAddress.Loopback, 0);
        backend.Start();
        using var gateway = new WebSocketGateway("127.0.0.1", ((IPEndPoint)backend.LocalEndpoint).Port).Start();
        var serving = Task.Run(async () =>
        {
            using var peer = await backend.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            await ReadFrameAsync(stream);
            await stream.WriteAsync("CONNECTED\nversion:1.2\n\n\0"u8.ToArray());
            await ReadFrameAsync(stream);

            // Three MESSAGEs in one write, relayed as one WebSocket message.
            var frames = string.Concat(Enumerable.Range(1, 3).Select(i => $"MESSAGE\nsubscription:s1\nmessage-id:{i}\ndestination:/queue/a\n\nbody {i}\0\n"));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(frames));
            await Task.Delay(TimeSpan.FromSeconds(LoopDriver.Patience));
        });
        var messages = new List<Frame>();
        var client = Connected(gateway.Url);

        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnMessage = messages.Add });
        _driver.RunUntil(() => messages.Count == 3, "3 MESSAGEs");

        Assert.That(messages.Select(m => m.Body), Is.EqualTo(new[] { "body 1", "body 2", "body 3" }));
        Assert.That(serving.IsFaulted, Is.False);
    }

    [Test]
    public void A_close_frame_mid_frame_ends_the_connection_as_closed_by_the_server_with_its_status_and_reason()
    {
        _gateway.Options.CloseAfterFrames = 2;
        _gateway.Options.CloseStatus = WebSocketCloseStatus.PolicyViolation;
        _gateway.Options.CloseReason = "quota exceeded";
        var client = Connected();
        var messages = Subscribed(client, "/queue/cut");

        client.Send(new() { ["destination"] = "/queue/cut", Body = "never whole" });
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo(
            $"on_error: {E_CONN_CLOSED_BY_REMOTE_HOST} Connection closed by remote host (WebSocket closed by the server with status 1008 (PolicyViolation): quota exceeded)."));
        Assert.That(messages, Is.Empty);
        Assert.That(Trace, Does.Contain("on_disconnect"));
    }

    [Test]
    public void An_upgrade_on_a_wrong_path_fails_the_connect_with_the_HTTP_status()
    {
        var url = new Uri($"ws://127.0.0.1:{_gateway.Port}/nowhere");
        Client(url);
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo(
            $"on_error: {E_CANT_CONN} Can't connect to 127.0.0.1:{_gateway.Port}: WebSocket upgrade refused: the server answered HTTP 404 Not Found to GET /nowhere instead of 101 Switching Protocols"));
        Assert.That(Trace, Does.Not.Contain("on_connect"));
    }

    [Test]
    public void An_upgrade_refused_as_unauthorized_names_the_status()
    {
        _gateway.Options.RefuseWith = 401;
        Client();
        WaitForError();

        Assert.That(FirstError(), Does.EndWith("WebSocket upgrade refused: the server answered HTTP 401 Unauthorized to GET /ws instead of 101 Switching Protocols"));
        Assert.That(FirstError(), Does.StartWith($"on_error: {E_CANT_CONN} "));
    }

    [Test]
    public void A_server_that_chooses_no_subprotocol_is_refused()
    {
        _gateway.Options.Subprotocol = string.Empty;
        Client();
        WaitForError();

        Assert.That(FirstError(), Does.EndWith(
            "WebSocket subprotocol missing: the server accepted the upgrade without choosing one of v12.stomp, v11.stomp, v10.stomp (no Sec-WebSocket-Protocol header)"));
        Assert.That(FirstError(), Does.StartWith($"on_error: {E_CANT_CONN} "));
        Assert.That(_gateway.Requests, Has.Count.EqualTo(1), "the upgrade was answered, and the client refused it");
        Assert.That(_broker.ReceivedBy("CONNECT"), Is.Empty);
    }

    [Test]
    public void A_server_that_chooses_a_subprotocol_not_offered_is_refused()
    {
        _gateway.Options.Subprotocol = "mqtt";
        Client();
        WaitForError();

        Assert.That(FirstError(), Does.Contain($"{E_CANT_CONN} Can't connect to 127.0.0.1:{_gateway.Port}: WebSocket subprotocol refused: offered v12.stomp, v11.stomp, v10.stomp: "));
        Assert.That(FirstError(), Does.Contain("mqtt"));
    }

    [Test]
    public void A_server_that_never_answers_the_upgrade_fails_at_the_connection_timeout()
    {
        _gateway.Options.NeverAnswer = true;
        Client(connectionTimeout: 0.3);
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo($"on_error: {E_CANT_CONN} Can't connect to 127.0.0.1:{_gateway.Port}: Connection timed out"));
        Assert.That(_gateway.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_server_that_answers_the_upgrade_with_garbage_fails_the_connect_with_E_CANT_CONN()
    {
        using var server = new HandMadeWebSocketServer();
        var answered = Task.Run(async () =>
        {
            var (client, _) = await server.AcceptAsync();
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("220 smtp.example ESMTP\r\n\r\n"));
            return client;
        });

        Client(server.Url);
        WaitForError();

        using var client = answered.Result;
        Assert.That(FirstError(), Does.StartWith($"on_error: {E_CANT_CONN} Can't connect to 127.0.0.1:{server.Port}: WebSocket handshake failed: "));
    }

    [Test]
    public void A_refused_TCP_connect_reports_the_system_text()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        Client(new Uri($"ws://127.0.0.1:{port}/ws"));
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo($"on_error: {E_CANT_CONN} Can't connect to 127.0.0.1:{port}: Connection refused"));
    }

    [Test]
    public void Extra_headers_go_with_every_upgrade_and_the_hook_refreshes_them_before_each_connect()
    {
        var token = 0;
        var urls = new List<Uri>();
        var client = Connected(webSocket: new WebSocketOptions
        {
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer stale", ["X-Tenant"] = "t1" },
            OnPrepareHeaders = url =>
            {
                urls.Add(url);
                return new Dictionary<string, string> { ["Authorization"] = $"Bearer fresh-{++token}" };
            },
        });
        _gateway.AbortAll();
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "the disconnect");
        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/a", Body = "after" });

        Assert.That(_gateway.Requests.Select(r => r.Headers["authorization"]), Is.EqualTo(new[] { "Bearer fresh-1", "Bearer fresh-2" }));
        Assert.That(_gateway.Requests.Select(r => r.Headers["x-tenant"]), Is.All.EqualTo("t1"));
        Assert.That(urls, Is.All.EqualTo(_gateway.Url));
    }

    [Test]
    public void A_headers_hook_that_throws_fails_that_connect_with_its_message()
    {
        Client(webSocket: new WebSocketOptions { OnPrepareHeaders = _ => throw new InvalidOperationException("no token yet") });
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo($"on_error: {E_CANT_CONN} Can't connect to 127.0.0.1:{_gateway.Port}: WebSocket setup failed: no token yet"));
    }

    [Test]
    public void A_connection_dropped_without_a_close_frame_is_closed_by_remote_host_and_says_so()
    {
        Connected();
        _gateway.AbortAll();
        WaitForError();

        Assert.That(FirstError(), Is.EqualTo(
            $"on_error: {E_CONN_CLOSED_BY_REMOTE_HOST} Connection closed by remote host (the connection ended without a WebSocket close frame (what the server sent last may be cut off))."));
    }

    [Test]
    public void Heart_beats_go_both_ways_as_newlines_inside_WebSocket_messages()
    {
        var broker = Own(new FakeBroker(new FakeBrokerOptions { HeartBeatSend = 200, HeartBeatReceive = 200 }).Start());
        var gateway = Own(new WebSocketGateway(broker).Start());
        var client = Connected(gateway.Url, heartbeat: [200, 200]);

        // Polled rather than waited for on a pool thread: ClientWebSocket's I/O completes on
        // the thread pool, which a blocked worker would starve on a two-core machine.
        _driver.RunUntil(() => broker.HeartBeatsReceived.Count >= 3, "3 heart-beats from the client");
        _driver.RunFor(1);

        Assert.That(client.IsConnected, Is.True, string.Join(" | ", Trace));
        Assert.That(broker.HeartBeatsReceived, Has.Count.GreaterThanOrEqualTo(3));
        Assert.That(broker.HeartBeatsSent, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void Wss_with_the_trusted_CA_connects_and_an_untrusted_server_is_refused_with_the_TLS_text()
    {
        var certificates = TestCertificates.Shared;
        var secure = Own(new WebSocketGateway(_broker, new WebSocketGatewayOptions { Certificate = certificates.Server }).Start());
        var client = Connected(secure.Url, handleParams: new HandleParams { TlsCtx = new TlsContext { CaCertificates = [certificates.Ca] } });
        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/tls", Body = "secret" });

        Client(secure.Url, handleParams: new HandleParams { TlsCtx = new TlsContext { CaCertificates = [certificates.OtherCa] } });
        WaitForError();

        Assert.That(_broker.ReceivedBy("SEND").Single().Frame.Body, Is.EqualTo("secret"));
        Assert.That(FirstError(), Does.StartWith($"on_error: {E_CANT_CONN} Can't connect to localhost:{secure.Port}: TLS certificate verification failed for the certificate"));
        Assert.That(FirstError(), Does.Contain("RemoteCertificateChainErrors"));
    }

    [Test]
    public void Wss_checks_the_certificate_against_the_peername_when_one_is_given_and_the_URL_host_otherwise()
    {
        var certificates = TestCertificates.Shared;
        var secure = Own(new WebSocketGateway(_broker, new WebSocketGatewayOptions { Certificate = certificates.WrongName }).Start());
        var trust = new TlsContext { CaCertificates = [certificates.Ca] };
        var client = Connected(secure.Url, handleParams: new HandleParams { TlsCtx = trust, Peername = "broker.example" });
        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/named", Body = "x" });

        Client(secure.Url, handleParams: new HandleParams { TlsCtx = trust });
        WaitForError();

        Assert.That(FirstError(), Does.Contain("the certificate's names do not match the peer name \"localhost\" (RemoteCertificateNameMismatch)"));
        Assert.That(FirstError(), Does.Not.Contain("RemoteCertificateChainErrors"));
    }

    [Test]
    public void A_cluster_fails_over_between_a_WebSocket_node_and_a_TCP_node()
    {
        var tcp = Own(new FakeBroker().Start());
        var nodes = new[] { new ClusterNode(_gateway.Url), new ClusterNode(tcp.Host, tcp.Port) };
        var seed = Enumerable.Range(0, 1000).First(s => new Random(s).Next(2) == 0);
        var cluster = Own(new StomperCluster(new ClusterOptions
        {
            Nodes = nodes,
            Random = new Random(seed),
            Loop = _driver.Loop,
            OnNodeConnect = (host, port) => Trace.Add($"connect {host}:{port}"),
            OnNodeError = (err, host, port) => Trace.Add($"error {host}:{port}: {err.Code}"),
        }));
        var messages = new List<Frame>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/f", OnMessage = messages.Add });
        Sent(cluster, "one");
        _driver.RunUntil(() => messages.Count == 1, "the first MESSAGE");

        _broker.Kill();
        Sent(cluster, "two");
        _driver.RunUntil(() => messages.Count == 2, "the MESSAGE after failover");

        Assert.That(nodes[0].ToString(), Is.EqualTo(_gateway.Url.ToString()));
        Assert.That(Trace.First(), Is.EqualTo($"connect 127.0.0.1:{_gateway.Port}"));
        Assert.That(Trace, Does.Contain($"connect {tcp.Host}:{tcp.Port}"));
        Assert.That(tcp.ReceivedBy("SUBSCRIBE"), Has.Count.EqualTo(1), "the subscription was made again on the TCP node");
        Assert.That(messages.Select(m => m.Body), Is.EqualTo(new[] { "one", "two" }));
    }

    /// <summary>Reads one client frame (up to its NUL) of the raw backend; the client sends nothing else meanwhile.</summary>
    private static async Task ReadFrameAsync(NetworkStream stream)
    {
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != 0)
        {
        }
    }

    private void Sent(StomperCluster cluster, string body)
    {
        var cv = _driver.Loop.Cv();
        cluster.Send(new() { ["destination"] = "/queue/f", ["receipt"] = "auto", Body = body }, (_, err) =>
        {
            if (err is null)
            {
                cv.Send();
            }
            else
            {
                cv.Croak($"SEND failed: {err.Code} {err.Message}");
            }
        });
        _driver.Wait(cv, "the SEND's RECEIPT");
    }

    [Test]
    public async Task The_async_face_sends_and_consumes_over_WebSocket()
    {
        await using var face = await Stomper.Async.AsyncStomperClient.ConnectAsync(new() { Client = new() { Url = _gateway.Url } });
        await using var subscription = await face.SubscribeAsync(new() { ["id"] = "a1", ["destination"] = "/queue/async" });

        await face.SendAsync(new() { ["destination"] = "/queue/async", ["receipt"] = "auto", Body = "through the async face" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(LoopDriver.Patience));
        await using var messages = subscription.GetAsyncEnumerator(timeout.Token);

        Assert.That(await messages.MoveNextAsync(), Is.True);
        Assert.That(messages.Current.Body, Is.EqualTo("through the async face"));
        Assert.That(_gateway.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void Options_that_contradict_a_WebSocket_url_are_refused_in_the_constructor()
    {
        Assert.Multiple(() =>
        {
            Assert.That(
                () => new StomperClient(new() { Url = new Uri("http://127.0.0.1/ws"), Loop = _driver.Loop, Lazy = true }),
                Throws.ArgumentException.With.Message.EqualTo("\"url\" must be an absolute ws:// or wss:// URL (ws://host:15674/ws, say), not \"http://127.0.0.1/ws\""));
            Assert.That(
                () => new StomperClient(new() { Url = new Uri("ws://127.0.0.1/ws"), HandleParams = new() { Tls = TlsMode.Connect }, Loop = _driver.Loop, Lazy = true }),
                Throws.ArgumentException.With.Message.StartsWith("\"tls\" in handle_params contradicts the WebSocket URL \"ws://127.0.0.1/ws\""));
            Assert.That(
                () => new StomperCluster(new ClusterOptions { Nodes = [new ClusterNode("a", 1) { Url = new Uri("ws://b:2/ws") }], Loop = _driver.Loop }),
                Throws.ArgumentException.With.Message.StartsWith("A node's Url names its host and port: a:1 is not the host and port of \"ws://b:2/ws\""));
        });
        using var client = new StomperClient(new() { Url = new Uri("wss://broker.example/ws"), Loop = _driver.Loop, Lazy = true });
        Assert.That((client.Host, client.Port), Is.EqualTo(("broker.example", 443)));
    }
}
