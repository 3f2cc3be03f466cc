using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

[TestFixture]
public sealed class ClientCommandTests
{
    [Test]
    public void CONNECT_carries_accept_version_heart_beat_login_passcode_and_vhost()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            Login = "guest", Passcode = "secret", Vhost = "/", Heartbeat = [5000, 7000],
        }));
        h.Transport.ConnectCompleted!(null);

        var connect = h.Sent().Single();

        Assert.That(connect.Command, Is.EqualTo("CONNECT"));
        Assert.That(connect.Headers["accept-version"], Is.EqualTo("1.0,1.1,1.2"));
        Assert.That(connect.Headers["heart-beat"], Is.EqualTo("5000,7000"));
        Assert.That(connect.Headers["login"], Is.EqualTo("guest"));
        Assert.That(connect.Headers["passcode"], Is.EqualTo("secret"));
        Assert.That(connect.Headers["host"], Is.EqualTo("/"));
    }

    [Test]
    public void Commands_issued_before_CONNECTED_are_sent_in_order_once_it_arrives()
    {
        using var h = new ClientHarness();
        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "1" });
        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "2" });
        h.Transport.ConnectCompleted!(null);
        Assert.That(h.Sent().Select(f => f.Command), Is.EqualTo(new[] { "CONNECT" }));

        h.Transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\n\n\0");

        Assert.That(h.Sent().Skip(1).Select(f => f.Body), Is.EqualTo(new[] { "1", "2" }));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        Assert.That(h.Client.Version, Is.EqualTo(StompVersion.V1_2));
        Assert.That(h.Client.Session, Is.EqualTo("S1"));
    }

    [Test]
    public void SEND_adds_content_length_and_keeps_a_binary_body_byte_exact()
    {
        using var h = new ClientHarness();
        h.Connect();
        byte[] body = [0, 1, 2, 0, 255];

        h.Client.Send(new() { ["destination"] = "/queue/bin", BodyBytes = body });

        var sent = h.LastSent();
        Assert.That(sent.Headers["content-length"], Is.EqualTo("5"));
        Assert.That(sent.BodyBytes.ToArray(), Is.EqualTo(body));
    }

    [Test]
    public void Headers_of_the_call_beat_command_headers_which_beat_default_headers()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            DefaultHeaders = new Dictionary<string, string> { ["x-a"] = "default", ["x-b"] = "default", ["x-c"] = "default" },
            CommandHeaders = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["SEND"] = new Dictionary<string, string> { ["x-b"] = "command", ["x-c"] = "command" },
            },
        }));
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a", ["x-c"] = "own" });

        var sent = h.LastSent();
        Assert.That((sent.Headers["x-a"], sent.Headers["x-b"], sent.Headers["x-c"]), Is.EqualTo(("default", "command", "own")));
        Assert.That(sent.Headers.Count(kv => kv.Key == "x-c"), Is.EqualTo(1), "each header once");
    }

    [Test]
    public void A_receipt_of_auto_gets_a_generated_id_and_the_callback_gets_the_RECEIPT()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, h.Record("send"));
        var receiptId = h.LastSent().Headers["receipt"];
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{receiptId}\n\n\0");

        Assert.That(receiptId, Is.EqualTo("R_S1.1"));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: receipt R_S1.1" }));
    }

    [Test]
    public void Without_a_receipt_the_callback_runs_once_the_frame_is_written_but_never_inside_send()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));

        h.Step();
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: sent" }));
    }

    [Test]
    public void Without_a_receipt_the_callback_waits_while_the_socket_has_not_taken_the_frame()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Transport.SendCapacity = 0;

        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));
        h.Step();
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));

        h.Transport.SendCapacity = int.MaxValue;
        h.Transport.Writable!();
        h.Step();
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: sent" }));
    }

    [Test]
    public void SUBSCRIBE_always_asks_for_a_receipt_and_messages_reach_on_message()
    {
        using var h = new ClientHarness();
        h.Connect();
        var bodies = new List<string>();

        h.Client.Subscribe(new() { ["id"] = "sub-1", ["destination"] = "/queue/a", OnReceipt = h.Record("subscribe") }, msg => bodies.Add(msg.Body));
        var subscribe = h.LastSent();
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{subscribe.Headers["receipt"]}\n\n\0");
        h.Transport.Arrive("MESSAGE\nsubscription:sub-1\nmessage-id:m1\ndestination:/queue/a\ncontent-length:5\n\nhello\0");

        Assert.That(subscribe.Headers["receipt"], Is.Not.Null);
        Assert.That(bodies, Is.EqualTo(new[] { "hello" }));
        Assert.That(h.Trace, Has.Member("subscribe: receipt " + subscribe.Headers["receipt"]));
    }

    [Test]
    public void A_MESSAGE_for_an_unknown_subscription_closes_the_connection_with_unexpected_data()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Transport.Arrive("MESSAGE\nsubscription:nobody\nmessage-id:m1\n\n\0");

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: Don't know how process MESSAGE frame. Unknown subscription \"nobody\"",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_RECEIPT_with_an_unknown_id_closes_the_connection_with_unexpected_data()
    {
        StompError? seen = null;
        using var h = new ClientHarness(o => o.ConnectionWith(new() { OnError = e => seen = e }));
        h.Connect();

        h.Transport.Arrive("RECEIPT\nreceipt-id:R_none\n\n\0");

        Assert.That(seen!.Message, Is.EqualTo("Unknown RECEIPT frame received: receipt-id=R_none"));
        Assert.That(seen.Code, Is.EqualTo(E_UNEXPECTED_DATA));
    }

    [Test]
    public void An_ERROR_naming_a_command_fails_that_command_with_the_message_header_and_the_frame()
    {
        using var h = new ClientHarness();
        h.Connect();
        StompError? error = null;

        h.Client.Send(new() { ["destination"] = "/queue/forbidden", ["receipt"] = "auto" }, (_, e) => error = e);
        h.Transport.Arrive($"ERROR\nreceipt-id:{h.LastSent().Headers["receipt"]}\nmessage:access refused\n\ndetails\0");

        Assert.That(error!.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Message, Is.EqualTo("access refused"));
        Assert.That(error.Frame!.Body, Is.EqualTo("details"));
    }

    [Test]
    public void A_failure_runs_on_error_then_lost_subscriptions_then_aborted_commands_then_on_disconnect()
    {
        using var h = SubscribedWithASendPending();

        h.Transport.ArriveEof();

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_error: Connection closed by remote host.",
            "subscribe: E_CONN_CLOSED_BY_REMOTE_HOST Subscription \"s1\" lost: Connection closed by remote host.",
            "send: E_CONN_CLOSED_BY_REMOTE_HOST Operation \"SEND\" aborted: Connection closed by remote host.",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_refused_connect_aborts_the_queued_commands_with_E_CANT_CONN()
    {
        using var h = new ClientHarness();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));

        h.Transport.ConnectCompleted!("Connection refused");

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_error: Can't connect to stomp.test:61613: Connection refused",
            "send: E_CANT_CONN Operation \"SEND\" aborted: Can't connect to stomp.test:61613: Connection refused",
        }));
    }

    [Test]
    public void A_login_refused_with_ERROR_aborts_everything_and_ends_the_connection_on_connect_announced()
    {
        using var h = new ClientHarness();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));
        h.Transport.ConnectCompleted!(null);

        h.Transport.Arrive("ERROR\nmessage:Bad CONNECT\n\nAccess refused for user 'x'\0");

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: Bad CONNECT",
            "send: E_OPRN_ERROR Operation \"SEND\" aborted: Bad CONNECT",
            "on_disconnect",
        }));
    }

    [Test]
    public void Force_disconnect_aborts_with_E_CONN_CLOSED_BY_CLIENT_keeps_quiet_about_subscriptions_and_the_client_reconnects_on_the_next_command()
    {
        using var h = SubscribedWithASendPending();

        h.Client.ForceDisconnect();

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_error: Connection closed by client prematurely.",
            "send: E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Connection closed by client prematurely.",
            "on_disconnect",
        }));

        h.Client.Send(new() { ["destination"] = "/queue/a" });
        Assert.That(h.Transports, Has.Count.EqualTo(2));
    }

    [Test]
    public void Force_disconnect_with_nothing_pending_reports_no_error_as_in_the_original()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.ForceDisconnect();

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_disconnect" }));
    }

    [Test]
    public void Commands_issued_after_DISCONNECT_are_aborted_as_closed_by_the_client_before_the_DISCONNECT_hears_its_receipt()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Disconnect(null, h.Record("disconnect"));
        var receipt = h.LastSent().Headers["receipt"];
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, h.Record("send"));

        h.Transport.Arrive($"RECEIPT\nreceipt-id:{receipt}\n\n\0");

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect",
            "on_error: Connection closed by client prematurely.",
            "send: E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Connection closed by client prematurely.",
            "on_disconnect",
            $"disconnect: receipt {receipt}",
        }));
    }

    [Test]
    public void DISCONNECT_closes_cleanly_once_its_receipt_arrives_and_hears_of_it_after_on_disconnect()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Disconnect(null, h.Record("disconnect"));
        var receipt = h.LastSent().Headers["receipt"];
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{receipt}\n\n\0");

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_disconnect", $"disconnect: receipt {receipt}" }));
        Assert.That(h.Client.IsConnected, Is.False);
    }

    [Test]
    public void With_a_reconnect_interval_the_next_command_waits_for_it()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            ReconnectInterval = 5, OnError = _ => { },
        }));
        h.Connect();
        h.Transport.ArriveEof();

        h.Client.Send(new() { ["destination"] = "/queue/a" });
        Assert.That(h.Transports, Has.Count.EqualTo(1));

        h.Step(4.9);
        Assert.That(h.Transports, Has.Count.EqualTo(1));
        h.Step(0.1);
        Assert.That(h.Transports, Has.Count.EqualTo(2));
    }

    [Test]
    public void The_connection_timeout_covers_a_server_that_accepts_but_never_answers_CONNECT()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            ConnectionTimeout = 2, OnError = o.OnError,
        }));
        h.Transport.ConnectCompleted!(null);

        h.Step(2);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_error: Can't connect to stomp.test:61613: Connection timed out" }));
    }

    [Test]
    public void Garbage_from_the_server_is_unexpected_data_and_closes_the_connection()
    {
        StompError? seen = null;
        using var h = new ClientHarness(o => o.ConnectionWith(new() { OnError = e => seen = e }));
        h.Connect();

        h.Transport.Arrive("HELLO\n\n\0");

        Assert.That(seen!.Code, Is.EqualTo(E_UNEXPECTED_DATA));
        Assert.That(h.Client.IsConnected, Is.False);
    }

    [Test]
    public void Execute_runs_a_command_by_name_and_refuses_unknown_names()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Client.Execute("SEND", new() { ["destination"] = "/queue/a", Body = "x" });

        Assert.That(h.LastSent().Command, Is.EqualTo("SEND"));
        Assert.That(() => h.Client.Execute("SEND\nX", new()), Throws.ArgumentException);
    }

    /// <summary>A session with a confirmed subscription "s1" and a receipted SEND awaiting its RECEIPT, the trace cleared.</summary>
    private static ClientHarness SubscribedWithASendPending()
    {
        var h = new ClientHarness();
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = h.Record("subscribe") }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, h.Record("send"));
        h.Trace.Clear();
        return h;
    }

    [Test]
    public void A_callback_set_on_a_reused_CommandParams_answers_only_the_calls_made_while_it_was_set()
    {
        using var h = new ClientHarness();
        h.Connect();
        var template = new CommandParams { ["destination"] = "/queue/a", ["receipt"] = "r1", OnReceipt = h.Record("first") };
        h.Client.Send(template);
        template["receipt"] = "r2";
        template.OnReceipt = h.Record("second");
        h.Client.Send(template);
        h.Trace.Clear();

        h.Transport.Arrive("RECEIPT\nreceipt-id:r1\n\n\0");
        h.Transport.Arrive("RECEIPT\nreceipt-id:r2\n\n\0");

        Assert.That(h.Trace, Is.EqualTo(new[] { "first: receipt r1", "second: receipt r2" }));
    }

    [Test]
    public void A_binary_body_queued_before_CONNECTED_is_sent_as_it_was_at_the_call()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            Lazy = true,
        }));
        byte[] buffer = [1, 2, 3];
        h.Client.Send(new() { ["destination"] = "/queue/bin", BodyBytes = buffer });
        buffer[0] = 9;

        h.Step();
        h.Connect();
        h.Step();

        Assert.That(h.Sent().Single(f => f.Command == "SEND").BodyBytes.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }
}
