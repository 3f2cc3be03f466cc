using System.Net.Sockets;
using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Testing;

/// <summary>The public in-memory server, driven through real clients and clusters on a fake clock.</summary>
[TestFixture]
public sealed class ScriptedStompServerTests
{
    private Loop _loop = null!;
    private ScriptedStompServer _server = null!;
    private List<string> _trace = null!;

    [SetUp]
    public void SetUp()
    {
        _loop = new Loop(new FakeClock());
        _server = new ScriptedStompServer();
        _trace = [];
    }

    [TearDown]
    public void TearDown() => _loop.Dispose();

    [Test]
    public void A_client_connects_and_its_automatic_SUBSCRIBE_receipt_is_answered()
    {
        using var client = Client();
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = Record("subscribe") }, _ => { });

        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { "subscribe: receipt" }));
        Assert.That(_server.Connection.Version, Is.EqualTo(StompVersion.V1_2));
        Assert.That(_server.Connection.Received.Select(f => f.Command), Is.EqualTo(new[] { "CONNECT", "SUBSCRIBE" }));
        Assert.That(_server.Connection.Subscriptions["s1"].Ack, Is.EqualTo("auto"));
    }

    [Test]
    public void CONNECTED_carries_the_configured_version_and_heart_beat()
    {
        _server = new ScriptedStompServer(new ScriptedServerOptions { Versions = [StompVersion.V1_1], HeartBeatSend = 1000, HeartBeatReceive = 2000 });
        using var client = Client();

        _loop.RunPending();

        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_1));
        Assert.That(_server.Connection.Session, Is.EqualTo("session-1"));
        Assert.That(_server.Connection.ConnectHeaders!["accept-version"], Is.EqualTo("1.0,1.1,1.2"));
    }

    [Test]
    public void A_client_that_asked_for_the_servers_beats_times_out_only_when_the_test_stops_pushing_them()
    {
        _server = new ScriptedStompServer(new ScriptedServerOptions { HeartBeatSend = 1000 });
        using var client = Client(heartbeat: [0, 1000]);
        _loop.RunPending();
        for (var second = 0; second < 10; second++)
        {
            _server.Connection.PushHeartBeat();
            _loop.Advance(1);
        }

        var whileBeating = _trace.ToList();
        _loop.Advance(3.1);

        Assert.That(whileBeating, Is.Empty);
        Assert.That(_trace[0], Is.EqualTo($"on_error: {E_READ_TIMEDOUT} Read timed out."));
    }

    [Test]
    public void A_pushed_message_reaches_on_message_and_its_ACK_names_the_ack_header()
    {
        using var client = Client();
        Frame? delivered = null;
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client-individual" }, m => delivered = m);
        _loop.RunPending();

        var pushed = _server.Connection.PushMessage("/queue/a", "hello", ("priority", "4"));
        _loop.RunPending();
        client.Ack(new() { Message = delivered });
        _loop.RunPending();

        Assert.That(delivered!.Body, Is.EqualTo("hello"));
        Assert.That(delivered.Headers["priority"], Is.EqualTo("4"));
        Assert.That(_server.Connection.LastReceived.Command, Is.EqualTo("ACK"));
        Assert.That(_server.Connection.LastReceived.Headers["id"], Is.EqualTo(pushed.Headers["ack"]));
    }

    [Test]
    public void Pushing_a_message_to_a_destination_nobody_subscribed_to_says_what_is_subscribed()
    {
        using var client = Client();
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        _loop.RunPending();

        Assert.That(() => _server.Connection.PushMessage("/queue/b", "x"), Throws.InvalidOperationException.With.Message.Contains("/queue/a"));
    }

    [Test]
    public void Held_receipts_arrive_only_when_released()
    {
        _server.Receipts = ReceiptMode.Hold;
        using var client = Client();
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = Record("subscribe") }, _ => { });
        _loop.Advance(10);
        var whileHeld = _trace.Count;

        _server.ReleaseReceipts();
        _loop.RunPending();

        Assert.That(whileHeld, Is.Zero);
        Assert.That(_trace, Is.EqualTo(new[] { "subscribe: receipt" }));
    }

    [Test]
    public void A_refused_receipt_fails_its_command_and_the_server_then_closes_as_the_spec_requires()
    {
        using var client = Client();
        _loop.RunPending();
        _server.Receipts = ReceiptMode.Error;

        client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "x" }, Record("send"));
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[]
        {
            $"send: {E_OPRN_ERROR} Refused by the scripted server",
            $"on_error: {E_CONN_CLOSED_BY_REMOTE_HOST} Connection closed by remote host.",
            "on_disconnect",
        }));
        Assert.That(_server.Connection.ClosedByServer, Is.True);
    }

    [Test]
    public void An_ERROR_pushed_by_the_test_is_followed_by_end_of_file()
    {
        using var client = Client();
        _loop.RunPending();

        _server.Connection.PushError("Resource exhausted");
        _loop.RunPending();

        Assert.That(_server.Connection.ClosedByServer, Is.True);
        Assert.That(client.IsConnected, Is.False);
    }

    [Test]
    public void With_CloseAfterError_off_an_ERROR_naming_a_command_leaves_the_connection_open()
    {
        using var client = Client();
        _loop.RunPending();
        _server.CloseAfterError = false;

        _server.Connection.PushError("Refused", receiptId: "r-1");
        _loop.RunPending();

        Assert.That(_server.Connection.ClosedByServer, Is.False);
    }

    [Test]
    public void A_malformed_frame_ends_the_connection_even_with_CloseAfterError_off()
    {
        _server.CloseAfterError = false;
        using var transport = _server.Transport(_loop);
        var bytes = "SEND\nno colon here\n\n\0"u8.ToArray();

        transport.Send(bytes, 0, bytes.Length);

        Assert.That(_server.Connection.ClosedByServer, Is.True);
    }

    [Test]
    public void A_refused_receipt_fails_its_command_with_an_operation_error_and_keeps_the_session_when_the_server_keeps_it()
    {
        using var client = Client();
        _loop.RunPending();
        _server.Receipts = ReceiptMode.Error;
        _server.CloseAfterError = false;   // ActiveMQ after a non-fatal protocol error

        client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "x" }, Record("send"));
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { $"send: {E_OPRN_ERROR} Refused by the scripted server" }));
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public void End_of_file_from_the_server_closes_the_client_with_its_error()
    {
        using var client = Client();
        _loop.RunPending();

        _server.Connection.PushEof();
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { $"on_error: {E_CONN_CLOSED_BY_REMOTE_HOST} Connection closed by remote host.", "on_disconnect" }));
    }

    [Test]
    public void An_io_error_pushed_after_a_message_arrives_after_the_message()
    {
        using var client = Client();
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, e) => { if (e is not null) { _trace.Add("lost"); } } }, _ => _trace.Add("message"));
        _loop.RunPending();

        _server.Connection.PushMessage("/queue/a", "x");
        _server.Connection.PushIoError(SocketError.ConnectionReset);
        _loop.RunPending();

        Assert.That(_trace[0], Is.EqualTo("message"));
        Assert.That(_trace[1], Does.StartWith($"on_error: {E_IO} "));
        Assert.That(_trace[2..], Is.EqualTo(new[] { "lost", "on_disconnect" }));
    }

    [Test]
    public void DISCONNECT_gets_its_receipt_and_the_client_closes_the_transport()
    {
        using var client = Client();
        _loop.RunPending();

        client.Disconnect(null, Record("disconnect"));
        _loop.RunPending();

        Assert.That(_trace, Is.EquivalentTo(new[] { "on_disconnect", "disconnect: receipt" }));
        Assert.That(_server.Connection.ClosedByClient, Is.True);
    }

    [Test]
    public void A_client_disposed_before_its_connect_completes_hears_nothing_more()
    {
        var client = Client();
        client.Dispose();

        _loop.RunPending();

        Assert.That(_trace, Is.Empty);
        Assert.That(_server.Connection.Received, Is.Empty);
    }

    [Test]
    public void A_refusing_node_fails_the_connect_with_the_systems_text()
    {
        _server.Node("stomp.test", 61613).Mode = NodeMode.Refuse;
        using var client = Client();

        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[] { $"on_error: {E_CANT_CONN} Can't connect to stomp.test:61613: Connection refused" }));
    }

    [Test]
    public void A_hanging_node_leaves_the_connect_to_the_clients_connection_timeout()
    {
        _server.Node("stomp.test", 61613).Mode = NodeMode.Hang;
        using var client = Client(connectionTimeout: 3);

        _loop.Advance(2.9);
        var before = _trace.Count;
        _loop.Advance(0.2);

        Assert.That(before, Is.Zero);
        Assert.That(_trace.Single(), Does.StartWith($"on_error: {E_CANT_CONN} Can't connect to stomp.test:61613: "));
    }

    [Test]
    public void An_OnFrame_hook_can_answer_CONNECT_with_an_ERROR_instead()
    {
        _server.OnFrame = (connection, frame) =>
        {
            if (frame.Command != "CONNECT")
            {
                return false;
            }

            connection.PushError("Bad credentials");
            connection.PushEof();
            return true;
        };
        using var client = Client();

        _loop.RunPending();

        Assert.That(_trace[0], Is.EqualTo($"on_error: {E_OPRN_ERROR} Bad credentials"));
    }

    [Test]
    public void One_server_serves_a_clusters_nodes_and_a_killed_node_moves_the_subscription_to_the_next()
    {
        var messages = new List<string>();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a.test", 61613), new("b.test", 61613)],
            Random = new Random(1),
            Loop = _loop,
            Transport = _server.Transport,
            OnNodeError = (err, host, _) => _trace.Add($"node error {host}: {err.Message}"),
        });
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, m => messages.Add(m.Body));
        _loop.RunPending();
        var first = _server.Connection.Node!;
        var second = _server.Node(first.Host == "a.test" ? "b.test" : "a.test", 61613);

        first.Kill();
        _loop.RunPending();
        second.Connection.PushMessage("/queue/a", "after failover");
        _loop.RunPending();

        Assert.That(_trace, Is.EqualTo(new[]
        {
            $"node error {first.Host}: Connection closed by remote host.",
            $"node error {first.Host}: Subscription \"s1\" lost: Connection closed by remote host.",
        }));
        Assert.That(second.Connection.ReceivedBy("SUBSCRIBE"), Has.Count.EqualTo(1));
        Assert.That(messages, Is.EqualTo(new[] { "after failover" }));
    }

    [Test]
    public void Advance_fires_a_repeating_timer_once_per_interval_and_runs_what_it_sets_off()
    {
        var ticks = 0;
        var posted = 0;
        using var timer = _loop.Timer(1, 1, () => { ticks++; _loop.Postpone(() => posted++); });

        _loop.Advance(5);

        Assert.That((ticks, posted), Is.EqualTo((5, 5)));
    }

    [Test]
    public void Advance_refuses_a_loop_on_the_system_clock()
    {
        using var loop = new Loop();

        Assert.That(() => loop.Advance(1), Throws.InvalidOperationException.With.Message.Contains("FakeClock"));
    }

    private StomperClient Client(double? connectionTimeout = null, int[]? heartbeat = null) =>
        new(new StomperOptions
        {
            Host = "stomp.test",
            Port = 61613,
            Loop = _loop,
            Transport = _server.Transport,
            OnError = err => _trace.Add($"on_error: {err.Code} {err.Message}"),
            OnDisconnect = () => _trace.Add("on_disconnect"),
            ConnectionTimeout = connectionTimeout,
            Heartbeat = heartbeat,
        });

    private Action<Frame?, StompError?> Record(string label) => (receipt, err) =>
        _trace.Add(err is null ? $"{label}: {(receipt is null ? "sent" : "receipt")}" : $"{label}: {err.Code} {err.Message}");
}
