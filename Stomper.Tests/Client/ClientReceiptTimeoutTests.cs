using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>
/// The receipt timeout (beyond the original) on a fake clock: a command whose RECEIPT does
/// not come in time fails with E_RECEIPT_TIMEDOUT, and the connection is given up.
/// </summary>
[TestFixture]
public sealed class ClientReceiptTimeoutTests
{
    private const string Send1Timeout = "Receipt timed out: no RECEIPT for SEND (receipt \"R_S1.1\") from stomp.test:61613 within 5 s.";

    private static ClientHarness Harness(TimeSpan? timeout, Action<StompError>? onError = null) => new(o => o.ConnectionWith(new()
    {
        OnError = onError ?? o.OnError, OnDisconnect = o.OnDisconnect, OnConnect = o.OnConnect, ReceiptTimeout = timeout,
    }));

    private static CommandParams Receipted(TimeSpan? timeout = null, string receipt = "auto") =>
        new() { ["destination"] = "/queue/a", ["receipt"] = receipt, ReceiptTimeout = timeout };

    [Test]
    public void A_receipted_SEND_unanswered_at_its_deadline_fails_with_E_RECEIPT_TIMEDOUT_and_the_connection_is_given_up()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        StompError? seen = null;
        h.Client.Send(Receipted(), (receipt, err) =>
        {
            seen = err;
            h.Record("send")(receipt, err);
        });

        h.Step(4.75);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(0.25);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: " + Send1Timeout, $"send: E_RECEIPT_TIMEDOUT {Send1Timeout}", "on_disconnect" }));
        Assert.That(seen!.Code, Is.EqualTo(E_RECEIPT_TIMEDOUT));
        Assert.That(seen.Frame, Is.Null);
        Assert.That(h.Client.IsConnected, Is.False);
    }

    [Test]
    public void The_timeout_loses_the_live_subscriptions_and_aborts_the_other_pending_commands_with_its_error()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = h.Record("sub") }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Send(Receipted(), h.Record("send1"));
        h.Step(1);
        h.Client.Send(Receipted(), h.Record("send2"));
        h.Trace.Clear();

        h.Step(4);

        const string Timeout = "Receipt timed out: no RECEIPT for SEND (receipt \"R_S1.2\") from stomp.test:61613 within 5 s.";
        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_error: " + Timeout,
            $"sub: E_RECEIPT_TIMEDOUT Subscription \"s1\" lost: {Timeout}",
            $"send1: E_RECEIPT_TIMEDOUT {Timeout}",
            $"send2: E_RECEIPT_TIMEDOUT Operation \"SEND\" aborted: {Timeout}",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_receipt_answered_in_time_never_fails_and_leaves_nothing_watched()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        h.Client.Send(Receipted(), h.Record("send"));

        h.Step(4.75);
        h.ReceiptForLastSent();
        h.Step(10);
        h.Step(100);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: receipt R_S1.1" }));
        Assert.That(h.Client.IsConnected, Is.True);
        Assert.That(h.Client.ReceiptDeadlines.Count, Is.Zero);
        Assert.That(h.Client.ReceiptDeadlines.IsArmed, Is.False, "the timer went off once, found nothing, and was not armed again");
    }

    [Test]
    public void A_SEND_without_a_receipt_arms_no_timer_and_is_watched_by_nothing()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        for (var i = 0; i < 100; i++)
        {
            h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));
        }

        Assert.That(h.Client.ReceiptDeadlines.Count, Is.Zero);
        Assert.That(h.Client.ReceiptDeadlines.IsArmed, Is.False);
        h.Step(60);
        Assert.That(h.Trace.Count(t => t == "send: sent"), Is.EqualTo(100));
        Assert.That(h.Client.IsConnected, Is.True);
    }

    [Test]
    public void A_commands_own_shorter_timeout_fires_before_the_clients()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        h.Client.Send(Receipted(), h.Record("long"));
        h.Client.Send(Receipted(TimeSpan.FromSeconds(1)), h.Record("short"));

        h.Step(0.75);
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(0.25);

        const string Timeout = "Receipt timed out: no RECEIPT for SEND (receipt \"R_S1.2\") from stomp.test:61613 within 1 s.";
        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect", "on_error: " + Timeout,
            $"long: E_RECEIPT_TIMEDOUT Operation \"SEND\" aborted: {Timeout}",
            $"short: E_RECEIPT_TIMEDOUT {Timeout}",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_commands_own_longer_timeout_outlasts_the_clients()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(TimeSpan.FromSeconds(10)), h.Record("send"));

        h.Step(9.75);
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(0.25);

        Assert.That(h.Trace, Has.Member("send: E_RECEIPT_TIMEDOUT Receipt timed out: no RECEIPT for SEND (receipt \"R_S1.1\") from stomp.test:61613 within 10 s."));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void A_command_with_a_timeout_of_zero_or_infinite_waits_for_ever_whatever_the_client_says(int milliseconds)
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(TimeSpan.FromMilliseconds(milliseconds)), h.Record("send"));

        Assert.That(h.Client.ReceiptDeadlines.IsArmed, Is.False);
        h.Step(3600);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        h.ReceiptForLastSent();
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: receipt R_S1.1" }));
    }

    [TestCase(null)]
    [TestCase(0)]
    [TestCase(-1)]
    public void Without_a_timeout_a_receipt_is_awaited_for_ever_as_in_the_original(int? milliseconds)
    {
        using var h = Harness(milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = h.Record("sub") }, _ => { });

        h.Step(3600);
        h.Step(3600);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        Assert.That(h.Client.ReceiptDeadlines.IsArmed, Is.False);
    }

    [Test]
    public void A_negative_timeout_is_refused_by_the_command_and_by_the_constructor()
    {
        using var h = Harness(null);
        h.Connect();

        Assert.That(() => h.Client.Send(Receipted(TimeSpan.FromSeconds(-2))), Throws.ArgumentException.With.Message.EqualTo(
            "\"ReceiptTimeout\" must be a positive duration, or TimeSpan.Zero or Timeout.InfiniteTimeSpan for none"));
        Assert.That(h.Sent().Count(f => f.Command == "SEND"), Is.Zero);
        Assert.That(() => Harness(TimeSpan.FromMilliseconds(-5)), Throws.ArgumentException.With.Message.EqualTo(
            "\"ReceiptTimeout\" must be a positive duration, or TimeSpan.Zero or Timeout.InfiniteTimeSpan for none"));
    }

    [Test]
    public void The_timeout_is_not_a_header_and_is_never_written()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        h.Client.Send(Receipted(TimeSpan.FromSeconds(2)));

        Assert.That(h.LastSent().Headers.Select(kv => kv.Key), Is.EqualTo(new[] { "destination", "receipt", "content-length" }));
    }

    [Test]
    public void A_command_waiting_for_a_CONNECTED_that_never_comes_times_out_from_its_call_and_is_never_sent()
    {
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            OnError = o.OnError, OnDisconnect = o.OnDisconnect, OnConnect = o.OnConnect,
            ReceiptTimeout = TimeSpan.FromSeconds(2), ConnectionTimeout = 30,
        }));
        h.Transport.ConnectCompleted!(null);
        h.Client.Send(Receipted(), h.Record("receipted"));
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("plain"));

        h.Step(1.75);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        h.Step(0.25);

        const string Timeout = "Receipt timed out: SEND was still waiting for the session with stomp.test:61613 after 2 s, and was never sent.";
        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect", "on_error: " + Timeout,
            $"receipted: E_RECEIPT_TIMEDOUT {Timeout}",
            $"plain: E_RECEIPT_TIMEDOUT Operation \"SEND\" aborted: {Timeout}",
            "on_disconnect",
        }));
        Assert.That(h.Sent().Select(f => f.Command), Is.EqualTo(new[] { "CONNECT" }));
    }

    [Test]
    public void A_command_queued_before_CONNECTED_keeps_the_deadline_of_its_call_once_written()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Client.Send(Receipted(), h.Record("send"));
        h.Step(3);
        h.Connect();
        Assert.That(h.LastSent().Command, Is.EqualTo("SEND"));

        h.Step(1.75);
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(0.25);

        Assert.That(h.Trace, Has.Member($"send: E_RECEIPT_TIMEDOUT {Send1Timeout}"));
    }

    [Test]
    public void An_ERROR_answering_a_watched_command_ends_its_watch()
    {
        using var h = Harness(TimeSpan.FromSeconds(5));
        h.Connect();
        h.Client.Send(Receipted(), h.Record("send"));

        h.Transport.Arrive("ERROR\nreceipt-id:R_S1.1\nmessage:refused\n\n\0");
        h.Step(10);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: E_OPRN_ERROR refused" }));
        Assert.That(h.Client.IsConnected, Is.True);
        Assert.That(h.Client.ReceiptDeadlines.Count, Is.Zero);
    }

    [Test]
    public void A_DISCONNECT_whose_RECEIPT_never_comes_ends_the_connection_after_the_timeout()
    {
        using var h = Harness(TimeSpan.FromSeconds(2));
        h.Connect();
        h.Client.Disconnect(h.Record("disconnect"));

        h.Step(2);

        const string Timeout = "Receipt timed out: no RECEIPT for DISCONNECT (receipt \"R_S1.1\") from stomp.test:61613 within 2 s.";
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: " + Timeout, $"disconnect: E_RECEIPT_TIMEDOUT {Timeout}", "on_disconnect" }));
    }

    [Test]
    public void A_receipt_id_used_again_is_not_timed_out_by_the_deadline_of_its_earlier_command()
    {
        using var h = Harness(null);
        h.Connect();
        h.Client.Send(Receipted(TimeSpan.FromSeconds(2), "x"), h.Record("x"));
        h.Client.Send(Receipted(TimeSpan.FromSeconds(3), "r1"), h.Record("first r1"));
        h.Step(0.5);
        h.Transport.Arrive("RECEIPT\nreceipt-id:r1\n\n\0");
        h.Step(0.5);
        h.Client.Send(Receipted(TimeSpan.FromSeconds(10), "r1"), h.Record("second r1"));
        h.Step(0.5);
        h.Transport.Arrive("RECEIPT\nreceipt-id:x\n\n\0");

        h.Step(1.5);
        h.Step(7.75);
        Assert.That(h.Client.IsConnected, Is.True, "3 s after the first r1, the second one still waits");
        h.Step(0.25);

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect", "first r1: receipt r1", "x: receipt x",
            "on_error: Receipt timed out: no RECEIPT for SEND (receipt \"r1\") from stomp.test:61613 within 10 s.",
            "second r1: E_RECEIPT_TIMEDOUT Receipt timed out: no RECEIPT for SEND (receipt \"r1\") from stomp.test:61613 within 10 s.",
            "on_disconnect",
        }));
    }

    [Test]
    public void A_RECEIPT_sent_after_the_timeout_reaches_nothing()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(), h.Record("send"));
        var stale = h.Transport;
        h.Step(1);
        var afterTimeout = h.Trace.Count;

        stale.Arrive("RECEIPT\nreceipt-id:R_S1.1\n\n\0");
        h.Step(1);

        Assert.That(h.Trace, Has.Count.EqualTo(afterTimeout), "no second answer, no 'Unknown RECEIPT' error");
        Assert.That(h.Trace.Count(t => t.StartsWith("send:", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void Receipts_answered_out_of_turn_do_not_pile_up_in_the_deadline_queue()
    {
        using var h = Harness(TimeSpan.FromSeconds(60));
        h.Connect();
        for (var i = 0; i < 1000; i++)
        {
            h.Client.Send(Receipted(receipt: $"r{i}"));
        }

        var largest = 0;
        for (var i = 999; i >= 0; i--)
        {
            h.Transport.Arrive($"RECEIPT\nreceipt-id:r{i}\n\n\0");
            largest = Math.Max(largest, h.Client.ReceiptDeadlines.Count);
        }

        Assert.That(largest, Is.EqualTo(1000));
        Assert.That(h.Client.ReceiptDeadlines.Count, Is.Zero);

        // Half answered out of turn, the head still pending: the queue is rebuilt on the way.
        for (var i = 0; i < 1000; i++)
        {
            h.Client.Send(Receipted(receipt: $"q{i}"));
        }

        for (var i = 999; i >= 1; i--)
        {
            h.Transport.Arrive($"RECEIPT\nreceipt-id:q{i}\n\n\0");
        }

        Assert.That(h.Client.ReceiptDeadlines.Count, Is.LessThan(200));
        Assert.That(h.Client.IsConnected, Is.True);
    }

    [Test]
    public void A_client_disposed_before_the_deadline_calls_nothing_when_it_passes()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(), h.Record("send"));

        h.Client.Dispose();
        h.Step(5);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
        Assert.That(h.Client.ReceiptDeadlines.IsArmed, Is.False);
    }

    [Test]
    public void A_client_disposed_from_on_error_of_a_timeout_calls_nothing_more()
    {
        ClientHarness? h = null;
        var trace = new List<string>();
        using var harness = h = Harness(TimeSpan.FromSeconds(1), err =>
        {
            trace.Add("on_error: " + err.Code);
            h!.Client.Dispose();
        });
        h.Connect();
        h.Client.Send(Receipted(), h.Record("send"));
        h.Client.Send(Receipted(), h.Record("other"));

        h.Step(1);
        h.Step(5);

        Assert.That(trace, Is.EqualTo(new[] { "on_error: E_RECEIPT_TIMEDOUT" }));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
    }

    [Test]
    public void A_timeout_callback_that_throws_leaves_the_rest_of_the_report_for_the_next_pass()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(), (_, err) =>
        {
            h.Trace.Add("send: " + err!.Code);
            throw new InvalidOperationException("user bug");
        });
        h.Client.Send(Receipted(), h.Record("other"));

        Assert.Throws<InvalidOperationException>(() => h.Step(1));
        Assert.That(h.Trace[^1], Is.EqualTo("send: E_RECEIPT_TIMEDOUT"));
        h.Step();

        Assert.That(h.Trace[^2], Does.StartWith("other: E_RECEIPT_TIMEDOUT Operation \"SEND\" aborted: Receipt timed out"));
        Assert.That(h.Trace[^1], Is.EqualTo("on_disconnect"));
    }

    [Test]
    public void A_command_issued_from_a_timeout_callback_goes_out_on_the_next_connection()
    {
        using var h = Harness(TimeSpan.FromSeconds(1));
        h.Connect();
        h.Client.Send(Receipted(), (_, err) =>
        {
            h.Trace.Add("send: " + err!.Code);
            h.Client.Send(Receipted(), h.Record("again"));
        });

        h.Step(1);
        Assert.That(h.Transports, Has.Count.EqualTo(2));
        h.Connect();
        Assert.That(h.LastSent().Command, Is.EqualTo("SEND"));
        h.ReceiptForLastSent();
        h.Step(5);

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect", "on_error: Receipt timed out: no RECEIPT for SEND (receipt \"R_S1.1\") from stomp.test:61613 within 1 s.",
            "send: E_RECEIPT_TIMEDOUT", "on_disconnect", "on_connect", "again: receipt R_S1.2",
        }));
        Assert.That(h.Client.IsConnected, Is.True);
    }
}
