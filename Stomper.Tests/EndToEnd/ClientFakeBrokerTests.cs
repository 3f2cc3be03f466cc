using System.Diagnostics;
using NUnit.Framework;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.EndToEnd;

/// <summary>The single-node client against the fake broker over loopback TCP: real sockets, real timers, a scripted peer.</summary>
[TestFixture]
public sealed class ClientFakeBrokerTests
{
    private readonly List<StomperClient> _clients = [];
    private readonly List<FakeBroker> _brokers = [];
    private LoopDriver _driver = null!;
    private FakeBroker _broker = null!;

    private List<string> Trace => _driver.Trace;

    [SetUp]
    public void SetUp()
    {
        _driver = new LoopDriver();
        _broker = Broker();
    }

    [TearDown]
    public void TearDown()
    {
        _clients.ForEach(c => c.Dispose());
        _clients.Clear();
        _driver.Dispose();
        _brokers.ForEach(b => b.Dispose());
        _brokers.Clear();
    }

    private FakeBroker Broker(FakeBrokerOptions? options = null)
    {
        var broker = new FakeBroker(options).Start();
        _brokers.Add(broker);
        return broker;
    }

    private StomperClient Client(
        FakeBroker? broker = null,
        int[]? heartbeat = null,
        bool lazy = false,
        double? connectionTimeout = null,
        double? reconnectInterval = null)
    {
        var client = new StomperClient(new()
        {
            Host = "127.0.0.1",
            Port = (broker ?? _broker).Port,
            Heartbeat = heartbeat,
            Lazy = lazy,
            ConnectionTimeout = connectionTimeout,
            ReconnectInterval = reconnectInterval,
            Loop = _driver.Loop,
            OnConnect = () => Trace.Add("on_connect"),
            OnDisconnect = () => Trace.Add("on_disconnect"),
            OnError = err => Trace.Add($"on_error: {err.Code} {err.Message}"),
        });
        _clients.Add(client);
        return client;
    }

    private StomperClient Connected(FakeBroker? broker = null, int[]? heartbeat = null)
    {
        var client = Client(broker, heartbeat);
        _driver.RunUntil(() => client.IsConnected, "CONNECTED");
        return client;
    }

    /// <summary>Subscribes with an on_receipt that records later notices (a lost subscription) in the trace.</summary>
    private List<Frame> Subscribed(StomperClient client, string id, string destination, string ack = "auto")
    {
        var messages = new List<Frame>();
        var cv = _driver.Loop.Cv();
        client.Subscribe(new()
        {
            ["id"] = id,
            ["destination"] = destination,
            ["ack"] = ack,
            OnMessage = messages.Add,
            OnReceipt = (receipt, err) =>
            {
                if (cv.Ready)
                {
                    Trace.Add($"{id}: {err?.Code} {err?.Message}");
                }
                else if (err is null)
                {
                    cv.Send();
                }
                else
                {
                    cv.Croak($"SUBSCRIBE failed: {err.Message}");
                }
            },
        });
        _driver.Wait(cv, $"RECEIPT for SUBSCRIBE {id}");
        return messages;
    }

    private void WaitForMessages(List<Frame> messages, int count) =>
        _driver.RunUntil(() => messages.Count >= count, $"{count} MESSAGE(s)");

    [Test]
    public void A_message_sent_through_the_client_reaches_its_subscription_with_the_body_byte_exact()
    {
        var client = Connected();
        var messages = Subscribed(client, "s1", "/queue/a");
        byte[] body = [1, 0, 2, (byte)'\n', 0, 255];

        client.Send(new() { ["destination"] = "/queue/a", BodyBytes = body });
        client.Send(new() { ["destination"] = "/queue/a", ["x-note"] = "two", Body = "Hello, world!" });
        WaitForMessages(messages, 2);

        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_2));
        Assert.That(client.Session, Is.EqualTo(_broker.Connection(0).Session));
        Assert.That(messages[0].BodyBytes.ToArray(), Is.EqualTo(body));
        Assert.That(messages[0].Headers["subscription"], Is.EqualTo("s1"));
        Assert.That(messages[1].Body, Is.EqualTo("Hello, world!"));
        Assert.That(messages[1].Headers["x-note"], Is.EqualTo("two"));
        Assert.That(_broker.ReceivedBy("SEND").Select(s => s["content-length"]), Is.EqualTo(new[] { "6", "13" }));
        Assert.That(_broker.Connection(0).ConnectHeaders!["accept-version"], Is.EqualTo("1.0,1.1,1.2"));
    }

    [Test]
    public void Unsubscribing_and_subscribing_again_with_the_same_id_keeps_the_connection_and_the_new_subscription()
    {
        var client = Connected();
        var first = Subscribed(client, "s1", "/queue/a");

        client.Unsubscribe(new() { ["id"] = "s1" });
        var second = Subscribed(client, "s1", "/queue/b");
        client.Send(new() { ["destination"] = "/queue/b", Body = "to the new one" });
        WaitForMessages(second, 1);

        Assert.That(second.Single().Body, Is.EqualTo("to the new one"));
        Assert.That(first, Is.Empty);
        Assert.That(client.IsConnected, Is.True);
        Assert.That(Trace, Is.EqualTo(new[] { "on_connect" }));
    }

    [Test]
    public void The_broker_gets_content_length_0_on_CONNECT_and_on_every_frame_without_a_body()
    {
        var client = Connected();
        Subscribed(client, "s1", "/queue/a");
        _driver.Receipted(client, "UNSUBSCRIBE", new() { ["id"] = "s1" });
        _driver.Receipted(client, "BEGIN", new() { ["transaction"] = "t1" });

        Assert.That(_broker.Connection(0).ConnectHeaders!["content-length"], Is.EqualTo("0"));
        Assert.That(new[] { "SUBSCRIBE", "UNSUBSCRIBE", "BEGIN" }.Select(c => _broker.ReceivedBy(c).Single()["content-length"]), Is.All.EqualTo("0"));
    }

    [Test]
    public void Commands_issued_before_CONNECTED_are_written_in_order_once_it_arrives()
    {
        var client = Client();
        client.Send(new() { ["destination"] = "/queue/a", Body = "1" });
        client.Send(new() { ["destination"] = "/queue/a", Body = "2" });
        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/a", Body = "3" });

        Assert.That(_broker.ReceivedBy("SEND").Select(s => s.Frame.Body), Is.EqualTo(new[] { "1", "2", "3" }));
        Assert.That(Trace, Is.EqualTo(new[] { "on_connect" }));
    }

    [TestCase("1.0", "client")]
    [TestCase("1.0", "client-individual")]
    [TestCase("1.1", "client")]
    [TestCase("1.1", "client-individual")]
    [TestCase("1.2", "client")]
    [TestCase("1.2", "client-individual")]
    public void ACK_by_message_carries_the_headers_its_version_wants(string version, string ackMode)
    {
        StompVersions.TryParse(version, out var v);
        var broker = Broker(new FakeBrokerOptions { Versions = [v] });
        var client = Connected(broker);
        var messages = Subscribed(client, "s1", "/queue/acks", ackMode);
        client.Send(new() { ["destination"] = "/queue/acks", Body = "first" });
        client.Send(new() { ["destination"] = "/queue/acks", Body = "second" });
        WaitForMessages(messages, 2);

        _driver.Receipted(client, "ACK", new() { Message = messages[1] });

        var ack = broker.ReceivedBy("ACK").Single();
        Assert.That(client.Version, Is.EqualTo(v));
        switch (version)
        {
            case "1.0":
                Assert.That((ack["message-id"], ack["subscription"], ack["id"]), Is.EqualTo((messages[1].Headers["message-id"], (string?)null, (string?)null)));
                break;
            case "1.1":
                Assert.That((ack["message-id"], ack["subscription"], ack["id"]), Is.EqualTo((messages[1].Headers["message-id"], "s1", (string?)null)));
                break;
            default:
                Assert.That(messages[1].Headers["ack"], Is.Not.Null);
                Assert.That((ack["id"], ack["message-id"]), Is.EqualTo((messages[1].Headers["ack"], (string?)null)));
                break;
        }
    }

    [Test]
    public void In_client_mode_one_ACK_settles_every_earlier_message_and_acking_one_again_is_unexpected()
    {
        var client = Connected();
        var messages = Subscribed(client, "s1", "/queue/acks", "client");
        client.Send(new() { ["destination"] = "/queue/acks", Body = "first" });
        client.Send(new() { ["destination"] = "/queue/acks", Body = "second" });
        WaitForMessages(messages, 2);
        _driver.Receipted(client, "ACK", new() { Message = messages[1] });

        client.Ack(new() { Message = messages[0] }, _driver.Record("ACK first"));
        _driver.WaitForTrace(2);

        Assert.That(Trace[1], Is.EqualTo("ACK first: E_OPRN_ERROR Unexpected ACK sent."));
        Assert.That(_broker.ReceivedBy("ACK"), Has.Count.EqualTo(1));
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public void In_client_individual_mode_each_message_is_acknowledged_on_its_own_and_NACK_names_it_by_its_ack_header()
    {
        var client = Connected();
        var messages = Subscribed(client, "s1", "/queue/acks", "client-individual");
        client.Send(new() { ["destination"] = "/queue/acks", Body = "first" });
        client.Send(new() { ["destination"] = "/queue/acks", Body = "second" });
        WaitForMessages(messages, 2);

        _driver.Receipted(client, "ACK", new() { Message = messages[1] });
        _driver.Receipted(client, "NACK", new() { Message = messages[0] });
        client.Nack(new() { Message = messages[0] }, _driver.Record("NACK again"));
        _driver.WaitForTrace(2);

        Assert.That(_broker.ReceivedBy("ACK").Single()["id"], Is.EqualTo(messages[1].Headers["ack"]));
        Assert.That(_broker.ReceivedBy("NACK").Single()["id"], Is.EqualTo(messages[0].Headers["ack"]));
        Assert.That(Trace[1], Is.EqualTo("NACK again: E_OPRN_ERROR Unexpected NACK sent."));
    }

    [Test]
    public void A_committed_transaction_delivers_its_messages_and_an_aborted_one_discards_them()
    {
        var client = Connected();
        var messages = Subscribed(client, "s1", "/queue/tx");

        _driver.Receipted(client, "BEGIN", new() { ["transaction"] = "t1" });
        client.Send(new() { ["destination"] = "/queue/tx", ["transaction"] = "t1", Body = "kept" });
        _driver.Receipted(client, "COMMIT", new() { ["transaction"] = "t1" });
        _driver.Receipted(client, "BEGIN", new() { ["transaction"] = "t2" });
        client.Send(new() { ["destination"] = "/queue/tx", ["transaction"] = "t2", Body = "discarded" });
        _driver.Receipted(client, "ABORT", new() { ["transaction"] = "t2" });

        // The broker delivers in order: once the marker is here, an aborted message would be too.
        client.Send(new() { ["destination"] = "/queue/tx", Body = "marker" });
        WaitForMessages(messages, 2);

        Assert.That(messages.Select(m => m.Body), Is.EqualTo(new[] { "kept", "marker" }));
        Assert.That(_broker.ReceivedBy("SEND").Select(s => s["transaction"]), Is.EqualTo(new[] { "t1", "t2", null }));
    }

    [Test]
    public void Receipts_released_in_reverse_order_still_reach_the_callbacks_of_their_own_commands()
    {
        var client = Connected();
        _broker.HoldReceipts();
        var receipts = new Dictionary<string, string?>();
        var order = new List<string>();
        foreach (var body in new[] { "a", "b", "c" })
        {
            client.Send(new() { ["destination"] = "/queue/r", ["receipt"] = "auto", Body = body }, (receipt, err) =>
            {
                order.Add(body);
                receipts[body] = err?.Message ?? receipt!.Headers["receipt-id"];
            });
        }

        _driver.WhileBrokerWaits(() => _broker.WaitFor(b => b.HeldReceipts.Count == 3, "three held receipts"), "three held receipts");
        _broker.ReleaseReceipts(reverse: true);
        _driver.RunUntil(() => order.Count == 3, "three receipts");

        Assert.That(order, Is.EqualTo(new[] { "c", "b", "a" }));
        foreach (var sent in _broker.ReceivedBy("SEND"))
        {
            Assert.That(receipts[sent.Frame.Body], Is.EqualTo(sent["receipt"]).And.StartsWith($"R_{client.Session}."));
        }
    }

    [Test]
    public void An_ERROR_for_a_refused_destination_fails_that_command_with_the_frame_and_the_broker_then_closes()
    {
        _broker.ErrorOn("SEND", "/queue/refused", "Access refused", "no entry");
        var client = Connected();
        StompError? error = null;

        client.Send(new() { ["destination"] = "/queue/refused", ["receipt"] = "auto", Body = "x" }, (_, err) =>
        {
            error = err;
            Trace.Add($"SEND: {err?.Code} {err?.Message}");
        });
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "the close after ERROR");

        Assert.That(error!.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Frame!.Command, Is.EqualTo("ERROR"));
        Assert.That(error.Frame.Body, Is.EqualTo("no entry"));
        Assert.That(error.Frame.Headers["receipt-id"], Is.EqualTo(_broker.ReceivedBy("SEND").Single()["receipt"]));
        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "SEND: E_OPRN_ERROR Access refused",
            "on_error: E_CONN_CLOSED_BY_REMOTE_HOST Connection closed by remote host.",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_refused_login_reports_to_on_error_then_aborts_the_queued_commands_in_the_order_issued()
    {
        _broker.RejectConnect("Bad CONNECT", "Access refused for user 'guest'");
        var client = Client();

        client.Send(new() { ["destination"] = "/queue/a" }, _driver.Record("SEND"));
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnMessage = _ => { }, OnReceipt = _driver.Record("SUBSCRIBE") });
        client.Begin(new() { ["transaction"] = "t1" });
        _driver.WaitForTrace(6);
        _driver.RunFor(0.05);

        // on_connect came with the TCP connection, before the login was refused.
        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_OPRN_ERROR Bad CONNECT",
            "SEND: E_OPRN_ERROR Operation \"SEND\" aborted: Bad CONNECT",
            "SUBSCRIBE: E_OPRN_ERROR Operation \"SUBSCRIBE\" aborted: Bad CONNECT",
            "on_error: E_OPRN_ERROR Operation \"BEGIN\" aborted: Bad CONNECT",
            "on_disconnect",
        }));
        Assert.That(client.IsConnected, Is.False);
    }

    [Test]
    public void DISCONNECT_gets_its_RECEIPT_then_the_connection_closes_cleanly_without_lost_subscriptions()
    {
        var client = Connected();
        Subscribed(client, "s1", "/queue/a");

        var receipt = _driver.Receipted(client, "DISCONNECT", new());
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");
        _driver.WhileBrokerWaits(() => _broker.WaitFor(b => !b.Connection(0).IsOpen, "the close"), "the close");

        Assert.That(receipt.Headers["receipt-id"], Is.EqualTo(_broker.ReceivedBy("DISCONNECT").Single()["receipt"]));
        Assert.That(Trace, Is.EqualTo(new[] { "on_connect", "on_disconnect" }));
        Assert.That(client.IsConnected, Is.False);
    }

    [Test]
    public void Heart_beats_are_negotiated_and_flow_both_ways_and_a_silent_broker_trips_the_read_timeout()
    {
        var broker = Broker(new FakeBrokerOptions { HeartBeatSend = 200, HeartBeatReceive = 200 });
        var client = Connected(broker, heartbeat: [200, 200]);
        var connection = broker.Connection(0);

        // Three intervals of idleness: only beats cross, and they keep the connection up.
        _driver.RunFor(0.7);
        _driver.WhileBrokerWaits(() => broker.WaitForHeartBeats(2, connection: 0), "the client's heart-beats");

        Assert.That((connection.ClientHeartBeatSend, connection.ClientHeartBeatReceive), Is.EqualTo((200, 200)));
        Assert.That(connection.BrokerHeartBeatInterval, Is.EqualTo(200));
        Assert.That(client.IsConnected, Is.True);
        Assert.That(broker.HeartBeatsSent, Is.GreaterThanOrEqualTo(2));
        Assert.That(Trace, Is.EqualTo(new[] { "on_connect" }));

        var silent = Stopwatch.StartNew();
        broker.GoSilent();
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "the read timeout");

        Assert.That(Trace.Skip(1), Is.EqualTo(new[] { "on_error: E_READ_TIMEDOUT Read timed out.", "on_disconnect" }));
        Assert.That(silent.Elapsed.TotalSeconds, Is.GreaterThan(0.35));
    }

    [Test]
    public void A_refused_connection_is_E_CANT_CONN_with_host_port_and_the_systems_reason()
    {
        _broker.SetAcceptMode(AcceptMode.Refuse);
        var client = Client(lazy: true);

        client.Send(new() { ["destination"] = "/queue/a" }, _driver.Record("SEND"));
        _driver.WaitForTrace(2);

        var cantConnect = $"Can't connect to 127.0.0.1:{_broker.Port}: Connection refused";
        Assert.That(Trace, Is.EqualTo(new[] { $"on_error: E_CANT_CONN {cantConnect}", $"SEND: E_CANT_CONN Operation \"SEND\" aborted: {cantConnect}" }));
    }

    [Test]
    public void A_server_that_accepts_and_closes_fails_the_client_at_once_well_before_the_connection_timeout()
    {
        _broker.SetAcceptMode(AcceptMode.AcceptAndClose);
        var started = Stopwatch.StartNew();
        Client(connectionTimeout: 3);

        _driver.WaitForTrace(2);

        // The close may overtake CONNECT (end-of-file) or meet it unread (a reset): either is the server's doing, not a timeout.
        Assert.That(Trace[0], Is.EqualTo("on_connect"));
        Assert.That(Trace[1], Is.EqualTo("on_error: E_CONN_CLOSED_BY_REMOTE_HOST Connection closed by remote host.")
            .Or.EqualTo("on_error: E_IO Connection reset by peer"));
        Assert.That(started.Elapsed.TotalSeconds, Is.LessThan(2));
    }

    [Test]
    public void A_server_that_never_accepts_fails_the_connect_after_the_connection_timeout()
    {
        _broker.SetAcceptMode(AcceptMode.Ignore);

        // Timers count from the loop's cached time, as AE::timer does; the script above took a while.
        _driver.Loop.NowUpdate();
        var started = Stopwatch.StartNew();
        var client = Client(lazy: true, connectionTimeout: 0.4);

        client.Send(new() { ["destination"] = "/queue/a" }, _driver.Record("SEND"));
        _driver.WaitForTrace(2);

        var timedOut = $"Can't connect to 127.0.0.1:{_broker.Port}: Connection timed out";
        Assert.That(Trace, Is.EqualTo(new[] { $"on_error: E_CANT_CONN {timedOut}", $"SEND: E_CANT_CONN Operation \"SEND\" aborted: {timedOut}" }));
        Assert.That(started.Elapsed.TotalSeconds, Is.GreaterThanOrEqualTo(0.35));
    }

    [Test]
    public void A_server_that_accepts_but_never_answers_CONNECT_fails_the_handshake_after_the_connection_timeout()
    {
        _broker.GoSilent();
        _driver.Loop.NowUpdate();
        var started = Stopwatch.StartNew();
        Client(connectionTimeout: 0.4);

        _driver.WaitForTrace(3);

        Assert.That(Trace, Is.EqualTo(new[] { "on_connect", $"on_error: E_CANT_CONN Can't connect to 127.0.0.1:{_broker.Port}: Connection timed out", "on_disconnect" }));
        Assert.That(started.Elapsed.TotalSeconds, Is.GreaterThanOrEqualTo(0.35));
        Assert.That(_broker.ReceivedBy("CONNECT"), Has.Count.EqualTo(1));
    }

    [Test]
    public void End_of_file_in_the_middle_of_a_frame_is_E_CONN_CLOSED_BY_REMOTE_HOST_and_the_subscription_is_lost()
    {
        var client = Connected();
        var messages = Subscribed(client, "s1", "/queue/a");

        _broker.SendRaw(0, "MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\ncontent-length:100\n\nonly part of the bo");
        _broker.Drop(0);
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");

        Assert.That(messages, Is.Empty);
        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_CONN_CLOSED_BY_REMOTE_HOST Connection closed by remote host.",
            "s1: E_CONN_CLOSED_BY_REMOTE_HOST Subscription \"s1\" lost: Connection closed by remote host.",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_connection_reset_is_E_IO_with_the_systems_text_and_aborts_what_awaits_a_receipt()
    {
        var client = Connected();
        _broker.HoldReceipts();
        client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, _driver.Record("SEND"));
        _driver.WhileBrokerWaits(() => _broker.WaitFor(b => b.HeldReceipts.Count == 1, "a held receipt"), "a held receipt");

        _broker.Drop(0, reset: true);
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");

        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_IO Connection reset by peer",
            "SEND: E_IO Operation \"SEND\" aborted: Connection reset by peer",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_MESSAGE_for_an_unknown_subscription_closes_the_connection_with_E_UNEXPECTED_DATA()
    {
        Connected();

        _broker.SendRaw(0, "MESSAGE\nsubscription:nobody\nmessage-id:m1\ndestination:/queue/a\n\nhello\0");
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");

        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_UNEXPECTED_DATA Don't know how process MESSAGE frame. Unknown subscription \"nobody\"",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_RECEIPT_with_an_unknown_id_closes_the_connection_with_E_UNEXPECTED_DATA()
    {
        Connected();

        _broker.SendRaw(0, "RECEIPT\nreceipt-id:R_nobody.7\n\n\0");
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");

        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_UNEXPECTED_DATA Unknown RECEIPT frame received: receipt-id=R_nobody.7",
            "on_disconnect",
        }));
    }

    [Test]
    public void After_the_broker_drops_the_connection_the_next_command_reconnects_at_once()
    {
        var client = Connected();
        _broker.Drop(0);
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");

        var receipt = _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/a", Body = "again" });

        Assert.That(receipt.Command, Is.EqualTo("RECEIPT"));
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(2));
        Assert.That(_broker.ReceivedBy("SEND").Single().Connection, Is.EqualTo(1));
        Assert.That(client.Session, Is.EqualTo(_broker.Connection(1).Session));
        Assert.That(Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: E_CONN_CLOSED_BY_REMOTE_HOST Connection closed by remote host.",
            "on_disconnect",
            "on_connect",
        }));
    }

    [Test]
    public void A_lazy_client_does_not_connect_until_its_first_command()
    {
        var client = Client(lazy: true);

        _driver.RunFor(0.2);
        Assert.That(_broker.ConnectionsAccepted, Is.Zero);
        Assert.That(client.IsConnected, Is.False);

        _driver.Receipted(client, "SEND", new() { ["destination"] = "/queue/a" });
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(1));
        Assert.That(Trace, Is.EqualTo(new[] { "on_connect" }));
    }

    [Test]
    public void With_a_reconnect_interval_commands_after_a_drop_wait_for_the_interval_then_go_out_on_a_new_connection()
    {
        var client = Client(reconnectInterval: 0.4);
        _driver.RunUntil(() => client.IsConnected, "CONNECTED");
        _broker.Drop(0);
        _driver.RunUntil(() => Trace.Contains("on_disconnect"), "on_disconnect");
        var sinceDrop = Stopwatch.StartNew();

        client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, _driver.Record("SEND"));
        _driver.RunFor(0.15);
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(1), "no reconnect before the interval");

        _driver.RunUntil(() => Trace.Contains("SEND: receipt"), "the SEND's RECEIPT");
        Assert.That(sinceDrop.Elapsed.TotalSeconds, Is.GreaterThanOrEqualTo(0.3));
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(2));
    }
}
