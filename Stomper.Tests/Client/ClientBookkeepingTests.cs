using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>
/// Bookkeeping keyed by an id (subscriptions, receipts) touches the entry a frame is about,
/// never whatever holds the same id by the time the answer comes.
/// </summary>
[TestFixture]
public sealed class ClientBookkeepingTests
{
    [Test]
    public void An_UNSUBSCRIBE_receipt_removes_only_the_subscription_it_named()
    {
        using var h = new ClientHarness();
        h.Connect();
        var bodies = new List<string>();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, msg => bodies.Add("old " + msg.Body));
        h.ReceiptForLastSent();
        h.Client.Unsubscribe(new() { ["id"] = "s1" });
        var unsubscribe = h.LastSent().Headers["receipt"];
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/b" }, msg => bodies.Add("new " + msg.Body));
        var resubscribe = h.LastSent().Headers["receipt"];

        h.Transport.Arrive($"RECEIPT\nreceipt-id:{unsubscribe}\n\n\0");
        h.Transport.Arrive($"RECEIPT\nreceipt-id:{resubscribe}\n\n\0");
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/b\n\nhello\0");

        Assert.That(bodies, Is.EqualTo(new[] { "new hello" }));
        Assert.That(h.Client.IsConnected, Is.True);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect" }));
    }

    [Test]
    public void A_SUBSCRIBE_refused_for_an_id_in_use_leaves_the_subscription_that_holds_it()
    {
        using var h = new ClientHarness();
        h.Connect();
        var bodies = new List<string>();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, msg => bodies.Add("first " + msg.Body));
        h.ReceiptForLastSent();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/b", OnReceipt = h.Record("second") }, msg => bodies.Add("second " + msg.Body));

        h.Transport.Arrive($"ERROR\nreceipt-id:{h.LastSent().Headers["receipt"]}\nmessage:duplicate subscription id\n\n\0");
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nhello\0");

        Assert.That(bodies, Is.EqualTo(new[] { "first hello" }));
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "second: E_OPRN_ERROR duplicate subscription id" }));
    }

    [Test]
    public void A_subscription_whose_UNSUBSCRIBE_is_unconfirmed_when_the_connection_fails_hears_it_was_lost_beside_its_successor()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = h.Record("first") }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Unsubscribe(new() { ["id"] = "s1" });
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/b", OnReceipt = h.Record("second") }, _ => { });
        h.Trace.Clear();

        h.Transport.ArriveEof();

        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_error: Connection closed by remote host.",
            "first: E_CONN_CLOSED_BY_REMOTE_HOST Subscription \"s1\" lost: Connection closed by remote host.",
            "on_error: Operation \"UNSUBSCRIBE\" aborted: Connection closed by remote host.",
            "second: E_CONN_CLOSED_BY_REMOTE_HOST Operation \"SUBSCRIBE\" aborted: Connection closed by remote host.",
            "on_disconnect",
        }));
    }

    [Test]
    public void Lost_subscriptions_are_reported_in_the_order_subscribed()
    {
        using var h = new ClientHarness();
        h.Connect();
        foreach (var id in new[] { "a", "b" })
        {
            h.Client.Subscribe(new() { ["id"] = id, ["destination"] = "/queue/" + id, OnReceipt = h.Record(id) }, _ => { });
            h.ReceiptForLastSent();
        }

        h.Client.Unsubscribe(new() { ["id"] = "a" });
        h.ReceiptForLastSent();
        h.Client.Subscribe(new() { ["id"] = "c", ["destination"] = "/queue/c", OnReceipt = h.Record("c") }, _ => { });
        h.ReceiptForLastSent();
        h.Trace.Clear();

        h.Transport.ArriveEof();

        Assert.That(h.Trace.Where(t => t.Contains("lost", StringComparison.Ordinal)).Select(t => t[0..1]), Is.EqualTo(new[] { "b", "c" }));
    }

    [Test]
    public void A_second_command_with_a_receipt_id_still_awaited_fails_without_being_sent()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("first"));
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("second"));
        h.Step();

        h.Transport.Arrive("RECEIPT\nreceipt-id:r1\n\n\0");

        Assert.That(h.Sent().Count(f => f.Command == "SEND"), Is.EqualTo(1));
        Assert.That(h.Trace, Is.EqualTo(new[]
        {
            "on_connect",
            $"second: {E_OPRN_ERROR} Receipt \"r1\" is already awaited by another command",
            "first: receipt r1",
        }));
        Assert.That(h.Client.IsConnected, Is.True);
    }
}
