using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>Which subscriptions the cluster follows through a failover, and for how long.</summary>
[TestFixture]
public sealed class ClusterSubscriptionTests
{
    private static readonly StompError Reset = new("Connection reset by peer", E_IO);

    private static CommandParams S1() => new() { ["id"] = "s1", ["destination"] = "/queue/a" };

    /// <summary>Two nodes, and "s1" subscribed and confirmed on the first, which is active.</summary>
    private static (MockNodes Nodes, MockNodes.Node First) SubscribedToS1()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        nodes.Cluster.Subscribe(S1(), _ => { });
        first.Receipt(0);
        return (nodes, first);
    }

    [Test]
    public void An_UNSUBSCRIBE_receipt_forgets_only_the_subscription_it_was_issued_for()
    {
        var (nodes, first) = SubscribedToS1();
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" });
        nodes.Cluster.Subscribe(S1(), _ => { });
        first.Receipt(1);
        first.Receipt(2);
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" });

        first.Break(Reset, lost: [2], aborted: [3]);

        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(nodes.Active.Commands, Is.Empty, "the subscription the application ended is not made again");
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void A_subscription_whose_UNSUBSCRIBE_was_refused_with_ERROR_follows_a_failover_again()
    {
        var (nodes, first) = SubscribedToS1();
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" }, nodes.Record("unsubscribe"));
        first.Commands[1].Callback!(null, new StompError("No such subscription", E_OPRN_ERROR, new Frame("ERROR")));

        first.Break(Reset, lost: [0], aborted: []);

        Assert.That(nodes.Trace, Does.Contain("unsubscribe: No such subscription"));
        Assert.That(nodes.Active.Commands.Select(c => (c.Name, c.Params["id"])), Is.EqualTo(new[] { ("SUBSCRIBE", "s1") }));
        Assert.That(nodes.Cluster.SubscriptionCount, Is.EqualTo(1));
    }

    [Test]
    public void An_UNSUBSCRIBE_goes_to_the_node_that_holds_the_subscription()
    {
        var (nodes, first) = SubscribedToS1();

        // The active node moves on without the subscription's node having ended it.
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        first.Commands[1].Callback!(null, Reset);
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" });

        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(first.Commands.Select(c => c.Name), Is.EqualTo(new[] { "SUBSCRIBE", "SEND", "UNSUBSCRIBE" }));
    }

    [Test]
    public void Subscriptions_ended_by_DISCONNECT_are_no_longer_followed()
    {
        var (nodes, first) = SubscribedToS1();
        nodes.Cluster.Disconnect();

        first.Receipt(1);
        first.Options.OnDisconnect!();

        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void Subscriptions_ended_by_force_disconnect_are_no_longer_followed()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        first.Mock.Setup(n => n.ForceDisconnect()).Callback(() => first.Options.OnDisconnect!());
        nodes.Cluster.Subscribe(S1(), _ => { });
        first.Receipt(0);

        nodes.Cluster.ForceDisconnect();

        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void A_subscription_made_again_on_the_next_node_is_still_followed_after_the_dead_node_reports_its_disconnect()
    {
        var (nodes, first) = SubscribedToS1();

        first.Break(Reset, lost: [0], aborted: []);
        nodes.Active.Receipt(0);

        Assert.That(nodes.Cluster.SubscriptionCount, Is.EqualTo(1));
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" });
        nodes.Active.Receipt(1);
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void An_UNSUBSCRIBE_of_a_subscription_whose_connection_ended_fails_after_the_callback_and_the_subscription_is_not_made_again()
    {
        var nodes = new MockNodes(2, configure: o => o.MockNodesWith(new()
        {
            OnError = o.OnError,
        }));
        var first = nodes.Active;
        var subscribe = S1();
        subscribe.OnReceipt = nodes.Record("subscribe");
        nodes.Cluster.Subscribe(subscribe, _ => { });
        first.Receipt(0);
        nodes.Trace.Clear();
        nodes.Cluster.OnNodeError = (_, _, _) =>
        {
            // Once: the subscription's loss is a node error too.
            nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" }, nodes.Record("unsubscribe"));
            nodes.Cluster.OnNodeError = null;
        };

        // The node reports its end; the UNSUBSCRIBE is answered before the subscription's
        // loss is (as when a callback of the failure sequence threw and the rest was postponed).
        first.Options.OnError!(Reset);
        Assert.That(nodes.Trace, Is.Empty, "answered after the callback");
        nodes.Cluster.Loop.RunOnce(block: false);
        first.Commands[0].Callback!(null, new StompError("Subscription \"s1\" lost: Connection reset by peer", E_IO));

        Assert.That(nodes.Trace, Is.EqualTo(new[]
        {
            $"unsubscribe: UNSUBSCRIBE not sent: the connection to {first.Host}:{first.Options.Port} that held the subscription is closed; the subscription ended with it.",
            "subscribe: Subscription \"s1\" lost: Connection reset by peer",
        }));
        Assert.That(nodes.Nodes.SelectMany(n => n.Commands.Select(c => n.Host + " " + c.Name)), Is.EqualTo(new[] { first.Host + " SUBSCRIBE" }));
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }
}
