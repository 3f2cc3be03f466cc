using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.Fakes;

/// <summary>The fake broker itself, driven by a raw socket client on the test thread.</summary>
[TestFixture]
public sealed class FakeBrokerTests
{
    private FakeBroker _broker = null!;
    private readonly List<RawStompClient> _clients = [];

    [SetUp]
    public void SetUp() => _broker = new FakeBroker().Start();

    [TearDown]
    public void TearDown()
    {
        _clients.ForEach(c => c.Dispose());
        _clients.Clear();
        _broker.Dispose();
    }

    private RawStompClient Client(FakeBroker? broker = null)
    {
        var client = new RawStompClient((broker ?? _broker).Port);
        _clients.Add(client);
        return client;
    }

    private RawStompClient Connected(string acceptVersion = "1.2")
    {
        var client = Client();
        Assert.That(client.Connect(acceptVersion).Command, Is.EqualTo(StompCommands.Connected));
        return client;
    }

    [Test]
    public void CONNECT_is_answered_by_CONNECTED_with_the_highest_version_both_sides_accept()
    {
        var client = Client();

        var connected = client.Connect("1.0,1.1", extra: ("login", "guest"));

        Assert.That(connected.Command, Is.EqualTo(StompCommands.Connected));
        Assert.That(connected.Headers["version"], Is.EqualTo("1.1"));
        Assert.That(connected.Headers["session"], Does.StartWith("session-"));
        Assert.That(connected.Headers["server"], Is.EqualTo("FakeBroker/1.0"));
        Assert.That(connected.Headers["heart-beat"], Is.EqualTo("0,0"));
        var connection = _broker.WaitForConnection(0);
        Assert.That(connection.Version, Is.EqualTo(StompVersion.V1_1));
        Assert.That(connection.Session, Is.EqualTo(connected.Headers["session"]));
        Assert.That(connection.ConnectHeaders?["login"], Is.EqualTo("guest"));
    }

    [Test]
    public void A_client_accepting_no_version_the_broker_speaks_gets_ERROR_and_is_closed()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { Versions = [StompVersion.V1_2] }).Start();
        var client = Client(broker);

        var error = client.Connect("1.0,1.1");

        Assert.That(error.Command, Is.EqualTo(StompCommands.Error));
        Assert.That(error.Headers["version"], Is.EqualTo("1.2"));
        Assert.That(error.Headers["message"], Is.EqualTo("Supported protocol versions are 1.2"));
        Assert.That(client.ReadUntilClosed(), Is.Empty);
    }

    [Test]
    public void A_SEND_reaches_every_subscriber_of_its_destination_as_MESSAGE_with_the_body_byte_exact()
    {
        var subscriber = Connected();
        subscriber.Send(StompCommands.Subscribe, "", ("id", "s1"), ("destination", "/queue/a"), ("ack", "client-individual"), ("receipt", "r1"));
        Assert.That(subscriber.Read().Headers["receipt-id"], Is.EqualTo("r1"));
        var sender = Connected();
        byte[] body = [1, 0, 2, (byte)'\n', 0, 255];

        sender.Send(new Frame(StompCommands.Send, new FrameHeaders(("destination", "/queue/a"), ("x-note", "a:b\\c\nd")), body));

        var message = subscriber.Read();
        Assert.That(message.Command, Is.EqualTo(StompCommands.Message));
        Assert.That(message.Headers["subscription"], Is.EqualTo("s1"));
        Assert.That(message.Headers["destination"], Is.EqualTo("/queue/a"));
        Assert.That(message.Headers["message-id"], Is.Not.Null.And.Not.Empty);
        Assert.That(message.Headers["ack"], Is.EqualTo("ack-" + message.Headers["message-id"]));
        Assert.That(message.Headers["x-note"], Is.EqualTo("a:b\\c\nd"), "escaped by 1.2 on the way in and out");
        Assert.That(message.BodyBytes.ToArray(), Is.EqualTo(body));
    }

    [Test]
    public void An_auto_subscription_in_1_1_gets_MESSAGE_without_an_ack_header_and_UNSUBSCRIBE_ends_delivery()
    {
        var client = Connected("1.1");
        client.Send(StompCommands.Subscribe, "", ("id", "s1"), ("destination", "/topic/t"));
        client.Send(StompCommands.Send, "one", ("destination", "/topic/t"));
        var message = client.Read();
        Assert.That(message.Body, Is.EqualTo("one"));
        Assert.That(message.Headers.ContainsKey("ack"), Is.False);

        client.Send(StompCommands.Unsubscribe, "", ("id", "s1"), ("receipt", "u"));
        client.Send(StompCommands.Send, "two", ("destination", "/topic/t"), ("receipt", "s"));

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("u"));
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("s"), "no MESSAGE before the SEND's receipt");
        Assert.That(_broker.Connection(0).Subscriptions, Is.Empty);
    }

    [Test]
    public void Every_frame_with_a_receipt_header_gets_its_RECEIPT_in_order()
    {
        var client = Connected();

        client.Send(StompCommands.Send, "x", ("destination", "/queue/a"), ("receipt", "1"));
        client.Send(StompCommands.Begin, "", ("transaction", "t"), ("receipt", "2"));
        client.Send(StompCommands.Ack, "", ("id", "whatever"), ("receipt", "3"));
        client.Send(StompCommands.Nack, "", ("id", "whatever"), ("receipt", "4"));

        var ids = Enumerable.Range(0, 4).Select(_ => client.Read()).Select(f => (f.Command, f.Headers["receipt-id"]));
        Assert.That(ids, Is.EqualTo(new[] { ("RECEIPT", "1"), ("RECEIPT", "2"), ("RECEIPT", "3"), ("RECEIPT", "4") }));
        Assert.That(_broker.ReceivedBy(StompCommands.Ack).Single()["id"], Is.EqualTo("whatever"));
        Assert.That(_broker.FramesReceived(StompCommands.Nack), Is.EqualTo(1));
    }

    [Test]
    public void A_committed_transaction_delivers_its_SENDs_and_an_aborted_one_discards_them()
    {
        var client = Connected();
        client.Send(StompCommands.Subscribe, "", ("id", "s"), ("destination", "/queue/tx"));
        client.Send(StompCommands.Begin, "", ("transaction", "kept"));
        client.Send(StompCommands.Begin, "", ("transaction", "dropped"));
        client.Send(StompCommands.Send, "kept", ("destination", "/queue/tx"), ("transaction", "kept"));
        client.Send(StompCommands.Send, "dropped", ("destination", "/queue/tx"), ("transaction", "dropped"));
        client.Send(StompCommands.Send, "plain", ("destination", "/queue/tx"), ("receipt", "before-commit"));

        Assert.That(client.Read().Body, Is.EqualTo("plain"), "transactional SENDs wait for COMMIT");
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("before-commit"));

        client.Send(StompCommands.Abort, "", ("transaction", "dropped"));
        client.Send(StompCommands.Commit, "", ("transaction", "kept"), ("receipt", "committed"));

        var delivered = client.Read();
        Assert.That(delivered.Body, Is.EqualTo("kept"));
        Assert.That(delivered.Headers.ContainsKey("transaction"), Is.False);
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("committed"));
    }

    [Test]
    public void A_COMMIT_of_an_unknown_transaction_gets_ERROR_naming_its_receipt()
    {
        var client = Connected();

        client.Send(StompCommands.Commit, "", ("transaction", "never-begun"), ("receipt", "c"));

        var error = client.Read();
        Assert.That(error.Command, Is.EqualTo(StompCommands.Error));
        Assert.That(error.Headers["message"], Is.EqualTo("Invalid transaction"));
        Assert.That(error.Headers["receipt-id"], Is.EqualTo("c"));
        Assert.That(client.ReadUntilClosed(), Is.Empty);
    }

    [Test]
    public void DISCONNECT_with_a_receipt_is_answered_by_the_RECEIPT_and_then_the_close()
    {
        var client = Connected();

        client.Send(StompCommands.Disconnect, "", ("receipt", "bye"));

        var frames = client.ReadUntilClosed();
        Assert.That(frames.Select(f => f.Headers["receipt-id"]), Is.EqualTo(new[] { "bye" }));
        client.Dispose();
        _broker.WaitFor(b => !b.Connection(0).IsOpen, "the connection to close");
    }

    [Test]
    public void A_frame_before_CONNECT_gets_ERROR_Not_connected()
    {
        var client = Client();

        client.Send(StompCommands.Send, "x", ("destination", "/queue/a"));

        var frames = client.ReadUntilClosed();
        Assert.That(frames.Single().Headers["message"], Is.EqualTo("Not connected"));
    }

    [Test]
    public void A_malformed_frame_from_the_client_gets_ERROR_and_the_close()
    {
        var client = Connected();

        client.WriteRaw("SEND\ndestination:/queue/a\nbad\\qescape:x\n\nbody\0");

        var frames = client.ReadUntilClosed();
        Assert.That(frames.Single().Command, Is.EqualTo(StompCommands.Error));
        Assert.That(frames.Single().Headers["message"], Does.StartWith("Malformed frame received"));
    }

    [Test]
    public void An_ErrorOn_script_answers_that_command_and_destination_with_ERROR_carrying_its_receipt_then_closes()
    {
        _broker.ErrorOn(StompCommands.Send, "/queue/forbidden", "Access refused", "no write permission");
        var client = Connected();
        client.Send(StompCommands.Send, "fine", ("destination", "/queue/open"), ("receipt", "ok"));
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("ok"));

        client.Send(StompCommands.Send, "no", ("destination", "/queue/forbidden"), ("receipt", "r-7"));

        var frames = client.ReadUntilClosed();
        var error = frames.Single();
        Assert.That(error.Command, Is.EqualTo(StompCommands.Error));
        Assert.That(error.Headers["receipt-id"], Is.EqualTo("r-7"));
        Assert.That(error.Headers["message"], Is.EqualTo("Access refused"));
        Assert.That(error.Body, Is.EqualTo("no write permission"));
        client.Dispose();
        _broker.WaitFor(b => b.Connection(0).CloseReason == "closed by the broker", "the broker to close the connection");
    }

    [Test]
    public void With_CloseAfterError_off_a_refused_SUBSCRIBE_keeps_the_session_and_subscribes_nothing()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { CloseAfterError = false }).Start();
        broker.ErrorOn(StompCommands.Subscribe, "/queue/forbidden", "Access refused");
        var client = Client(broker);
        Assert.That(client.Connect().Command, Is.EqualTo(StompCommands.Connected));

        client.Send(StompCommands.Subscribe, "", ("id", "s1"), ("destination", "/queue/forbidden"), ("receipt", "r1"));
        client.Send(StompCommands.Send, "x", ("destination", "/queue/a"), ("receipt", "r2"));

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("r1"), "the ERROR naming the SUBSCRIBE");
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("r2"), "the session carried on");
        Assert.That(broker.Connection(0).Subscriptions, Is.Empty);
    }

    [Test]
    public void With_CloseAfterError_off_a_refused_UNSUBSCRIBE_leaves_the_subscription_live()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { CloseAfterError = false }).Start();
        broker.ErrorOn(StompCommands.Unsubscribe);
        var client = Client(broker);
        Assert.That(client.Connect().Command, Is.EqualTo(StompCommands.Connected));
        client.Send(StompCommands.Subscribe, "", ("id", "s1"), ("destination", "/queue/a"), ("receipt", "r1"));
        Assert.That(client.Read().Command, Is.EqualTo(StompCommands.Receipt));

        client.Send(StompCommands.Unsubscribe, "", ("id", "s1"), ("receipt", "r2"));

        Assert.That(client.Read().Command, Is.EqualTo(StompCommands.Error));
        Assert.That(broker.Connection(0).IsConnected, Is.True, "not closing");
        Assert.That(broker.Connection(0).Subscriptions.Single().Id, Is.EqualTo("s1"));
    }

    [Test]
    public void With_CloseAfterError_off_an_ERROR_before_CONNECTED_still_closes()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { CloseAfterError = false }).Start();
        broker.ErrorOn(StompCommands.Connect, message: "Bad CONNECT");
        var client = Client(broker);

        Assert.That(client.Connect().Command, Is.EqualTo(StompCommands.Error));
        Assert.That(client.ReadUntilClosed(), Is.Empty);
    }

    [Test]
    public void A_rejected_CONNECT_gets_ERROR_with_the_message_and_body_and_the_close()
    {
        _broker.RequireLogin("admin", "secret");
        var client = Client();

        var error = client.Connect(extra: [("login", "guest"), ("passcode", "guest")]);

        Assert.That(error.Command, Is.EqualTo(StompCommands.Error));
        Assert.That(error.Headers["message"], Is.EqualTo("Bad CONNECT"));
        Assert.That(error.Body, Is.EqualTo("Access refused for user 'guest'"));
        Assert.That(client.ReadUntilClosed(), Is.Empty);
        Assert.That(Client().Connect(extra: [("login", "admin"), ("passcode", "secret")]).Command, Is.EqualTo(StompCommands.Connected));
    }

    [Test]
    public void A_custom_handler_can_answer_SUBSCRIBE_with_a_MESSAGE_for_an_unknown_subscription()
    {
        _broker.Intercept((connection, frame) =>
        {
            if (frame.Command != StompCommands.Subscribe)
            {
                return false;
            }

            connection.Send(new Frame(StompCommands.Message, new FrameHeaders(("subscription", "nobody"), ("message-id", "1"), ("destination", "/x")), "stray"));
            return true;
        });
        var client = Connected();

        client.Send(StompCommands.Subscribe, "", ("id", "s"), ("destination", "/queue/a"), ("receipt", "never"));

        var stray = client.Read();
        Assert.That(stray.Headers["subscription"], Is.EqualTo("nobody"));
        Assert.That(_broker.Connection(0).Subscriptions, Is.Empty, "the handler took the frame; the default did not run");
    }

    [Test]
    public void SendRaw_reaches_the_client_byte_for_byte()
    {
        var client = Connected();
        var connection = _broker.WaitForConnection(0);

        _broker.SendRaw(connection, "RECEIPT\nreceipt-id:unknown\n\n\0");

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("unknown"));
    }

    [Test]
    public void A_silent_broker_keeps_the_socket_open_but_answers_only_after_Resume()
    {
        var client = Connected();
        _broker.GoSilent();

        client.Send(StompCommands.Send, "x", ("destination", "/queue/a"), ("receipt", "held"));
        _broker.WaitForFrame(StompCommands.Send);
        _broker.OnBrokerThread(() => { });

        Assert.That(_broker.FramesSent(StompCommands.Receipt), Is.Zero);
        Assert.That(client.Socket.Available, Is.Zero);
        Assert.That(_broker.Connection(0).IsOpen, Is.True);

        _broker.Resume();

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("held"));
    }

    [Test]
    public void Held_receipts_go_out_only_when_released_and_in_the_order_the_test_chooses()
    {
        var client = Connected();
        _broker.HoldReceipts();

        client.Send(StompCommands.Send, "1", ("destination", "/queue/a"), ("receipt", "first"));
        client.Send(StompCommands.Send, "2", ("destination", "/queue/a"), ("receipt", "second"));
        _broker.WaitFor(b => b.HeldReceipts.Count == 2, "both receipts to be held");
        Assert.That(client.Socket.Available, Is.Zero);

        _broker.ReleaseReceipts(reverse: true);

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("second"));
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("first"));
    }

    [Test]
    public void Kill_closes_every_connection_and_refuses_new_ones_until_Revive()
    {
        var first = Connected();
        var second = Connected();

        _broker.Kill();

        Assert.That(first.ReadUntilClosed(), Is.Empty);
        Assert.That(second.ReadUntilClosed(), Is.Empty);
        var refused = Assert.Throws<SocketException>(() => Client());
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));

        _broker.Revive();

        Assert.That(Client().Connect().Command, Is.EqualTo(StompCommands.Connected));
    }

    [Test]
    public void KillAfter_dies_mid_stream_at_the_chosen_frame_without_answering_it()
    {
        _broker.KillAfter(2, StompCommands.Send);
        var client = Connected();

        client.Send(StompCommands.Send, "1", ("destination", "/queue/a"), ("receipt", "1"));
        client.Send(StompCommands.Send, "2", ("destination", "/queue/a"), ("receipt", "2"));

        var frames = client.ReadUntilClosed();
        Assert.That(frames.Select(f => f.Headers["receipt-id"]), Is.EqualTo(new[] { "1" }));
        Assert.That(_broker.AcceptMode, Is.EqualTo(AcceptMode.Refuse));
    }

    [Test]
    public void Drop_with_reset_makes_the_client_see_a_connection_reset()
    {
        var client = Connected();

        _broker.Drop(0, reset: true);

        var reset = Assert.Throws<SocketException>(() => client.Socket.Receive(new byte[16]));
        Assert.That(reset!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionReset));
        Assert.That(_broker.Connection(0).CloseReason, Is.EqualTo("reset by the broker"));
    }

    [Test]
    public void A_refusing_broker_refuses_and_an_accept_and_close_broker_closes_at_once()
    {
        _broker.SetAcceptMode(AcceptMode.Refuse);
        var refused = Assert.Throws<SocketException>(() => Client());
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));

        _broker.SetAcceptMode(AcceptMode.AcceptAndClose);
        var client = Client();

        Assert.That(client.ReadUntilClosed(), Is.Empty);
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(1));
        Assert.That(_broker.Connections, Is.Empty);
    }

    [Test]
    public async Task An_ignoring_broker_leaves_a_connect_hanging_and_serves_again_afterwards()
    {
        _broker.SetAcceptMode(AcceptMode.Ignore);
        var hanging = new TcpClient();

        var connect = hanging.ConnectAsync(IPAddress.Loopback, _broker.Port);
        var winner = await Task.WhenAny(connect, Task.Delay(300));

        Assert.That(winner, Is.Not.SameAs(connect), "the connect completed although the backlog is full");

        // Before accepting again: its SYN retry would otherwise be accepted too.
        hanging.Dispose();
        _broker.SetAcceptMode(AcceptMode.Accept);
        Assert.That(Client().Connect().Command, Is.EqualTo(StompCommands.Connected));
        Assert.That(_broker.ConnectionsAccepted, Is.EqualTo(1), "the broker's own backlog fillers are not counted");
    }

    [Test]
    public void Heart_beats_flow_both_ways_at_the_negotiated_interval_and_are_recorded_with_times()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { HeartBeatSend = 20, HeartBeatReceive = 30 }).Start();
        var client = Client(broker);

        var connected = client.Connect(heartBeat: "10,15");
        client.ReadHeartBeats(3);
        client.WriteRaw("\n");
        client.WriteRaw("\r\n");
        client.WriteRaw("\n");

        Assert.That(connected.Headers["heart-beat"], Is.EqualTo("20,30"));
        Assert.That(broker.Connection(0).BrokerHeartBeatInterval, Is.EqualTo(20), "max(sx, cy)");
        var beats = broker.WaitForHeartBeats(3, connection: 0);
        Assert.That(beats.Select(b => b.At), Is.Ordered);
        Assert.That(broker.HeartBeatsSent, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void A_silent_broker_withholds_its_heart_beats_until_Resume()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { HeartBeatSend = 5 }).Start();
        var client = Client(broker);
        client.Connect(heartBeat: "0,5");
        client.ReadHeartBeats(1);

        broker.GoSilent();
        var sentWhenSilenced = broker.HeartBeatsSent;
        broker.WaitFor(b => b.HeartBeatsWithheld >= 3, "three heart-beats to fall due while silent");

        Assert.That(broker.HeartBeatsSent, Is.EqualTo(sentWhenSilenced));
        broker.Resume();
        broker.WaitFor(b => b.HeartBeatsSent > sentWhenSilenced, "heart-beats to flow again");
    }

    [Test]
    public void No_heart_beats_flow_to_a_client_that_does_not_want_them()
    {
        using var broker = new FakeBroker(new FakeBrokerOptions { HeartBeatSend = 10 }).Start();
        var client = Client(broker);

        client.Connect(heartBeat: "10,0");

        Assert.That(broker.WaitForConnection(0).BrokerHeartBeatInterval, Is.Zero);
    }

    [Test]
    public void Flood_mode_sends_the_requested_MESSAGE_frames_with_a_bounded_write_buffer()
    {
        const int Count = 20_000;
        const int BodySize = 1000;
        _broker.FloodOnSubscribe(Count, BodySize);
        var client = Connected();

        client.Send(StompCommands.Subscribe, "", ("id", "s"), ("destination", "/queue/flood"), ("ack", "client"), ("receipt", "sub"));
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("sub"));
        var pending = 0;
        _broker.OnBrokerThread(() => pending = _broker.Connection(0).PendingWriteBytes);
        Assert.That(pending, Is.LessThanOrEqualTo((256 * 1024) + BodySize + 200));

        var ids = new HashSet<string>();
        for (var i = 0; i < Count; i++)
        {
            var message = client.Read();
            Assert.That(message.BodyBytes.Length, Is.EqualTo(BodySize));
            ids.Add(message.Headers["message-id"]!);
            if (i == Count - 1)
            {
                Assert.That(message.Headers["ack"], Is.EqualTo(message.Headers["message-id"]));
                Assert.That(message.Headers["subscription"], Is.EqualTo("s"));
            }
        }

        Assert.That(ids, Has.Count.EqualTo(Count));
        Assert.That(_broker.FramesSent(StompCommands.Message), Is.EqualTo(Count));
    }

    [Test]
    public void A_flood_stops_when_its_subscription_is_unsubscribed()
    {
        const int Count = 200_000;
        const int BodySize = 1000;
        _broker.FloodOnSubscribe(Count, BodySize);
        var client = Connected();

        client.Send(StompCommands.Subscribe, "", ("id", "s"), ("destination", "/queue/flood"), ("receipt", "sub"));
        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("sub"));
        client.Send(StompCommands.Unsubscribe, "", ("id", "s"), ("receipt", "unsub"));

        var messages = 0;
        Frame frame;
        while ((frame = client.Read()).Command == StompCommands.Message)
        {
            messages++;
        }

        // What the write buffer held when the UNSUBSCRIBE arrived still comes, then its
        // RECEIPT, and then nothing more of the flood.
        Assert.That(frame.Headers["receipt-id"], Is.EqualTo("unsub"));
        client.Send(StompCommands.Send, "x", ("destination", "/queue/other"), ("receipt", "ping"));
        var next = client.Read();
        Assert.That(next.Command, Is.EqualTo(StompCommands.Receipt), "a MESSAGE of the ended flood came after the UNSUBSCRIBE's RECEIPT");
        Assert.That(next.Headers["receipt-id"], Is.EqualTo("ping"));
        Assert.That(_broker.FramesSent(StompCommands.Message), Is.EqualTo(messages));
    }

    [Test]
    public void Discard_mode_counts_SENDs_without_storing_or_delivering_them()
    {
        _broker.Discard();
        var client = Connected();
        client.Send(StompCommands.Subscribe, "", ("id", "s"), ("destination", "/queue/d"));
        var payload = new StringBuilder();
        for (var i = 0; i < 999; i++)
        {
            payload.Append("SEND\ndestination:/queue/d\ncontent-length:3\n\nabc\0");
        }

        client.WriteRaw(payload.ToString());
        client.Send(StompCommands.Send, "abc", ("destination", "/queue/d"), ("receipt", "last"));

        Assert.That(client.Read().Headers["receipt-id"], Is.EqualTo("last"), "no MESSAGE comes first");
        Assert.That(_broker.FramesReceived(StompCommands.Send), Is.EqualTo(1000));
        Assert.That(_broker.ReceivedBy(StompCommands.Send), Is.Empty);
        Assert.That(_broker.BytesReceived, Is.GreaterThan(999 * 40));
    }

    [Test]
    public void A_wait_that_times_out_says_what_it_waited_for_and_what_the_broker_saw()
    {
        Connected();

        var timeout = Assert.Throws<TimeoutException>(() => _broker.WaitForFrame(StompCommands.Subscribe, timeout: TimeSpan.FromMilliseconds(50)));

        Assert.That(timeout!.Message, Does.Contain("waiting for a SUBSCRIBE frame").And.Contain("CONNECT x1"));
    }

    [Test]
    public void A_handler_that_throws_fails_the_next_wait_with_its_exception()
    {
        _broker.Intercept((_, _) => throw new InvalidOperationException("script bug"));
        Client().Send(StompCommands.Connect, "", ("accept-version", "1.2"));

        var fault = Assert.Throws<InvalidOperationException>(() => _broker.WaitForFrame(StompCommands.Subscribe));

        Assert.That(fault!.Message, Does.Contain("faulted").And.Contain("script bug"));
    }

    [Test]
    public void Dispose_stops_the_broker_thread_and_closes_the_listener_and_every_connection()
    {
        var broker = new FakeBroker().Start();
        var client = Client(broker);
        client.Connect();

        broker.Dispose();

        Assert.That(broker.ThreadAlive, Is.False);
        Assert.That(client.ReadUntilClosed(), Is.Empty);
        var refused = Assert.Throws<SocketException>(() => Client(broker));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
    }
}
