using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>A subscription's deduplication window (issue 14, item 5) over mocked node clients.</summary>
[TestFixture]
public sealed class ClusterDeduplicationTests
{
    private static readonly StompError Reset = new("Connection reset by peer", E_IO);

    [Test]
    public void A_repeat_of_an_id_delivered_lately_is_dropped_counted_and_acknowledged_to_the_node_that_delivered_it()
    {
        var nodes = new MockNodes(2);
        var bodies = new List<string>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 10 }, m => bodies.Add(m.Body));
        var node = nodes.Active;
        node.Receipt(0);
        var deliver = node.Commands[0].Params.OnMessage!;

        deliver(Message("a", "m1"));
        deliver(Message("b", "m2"));
        deliver(Message("a", "m3"));
        deliver(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "m4")), "no id"));
        deliver(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "m5")), "no id"));

        Assert.That(bodies, Is.EqualTo(new[] { "a", "b", "no id", "no id" }), "a message without an id is never taken for a repeat");
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.EqualTo(1));
        var ack = node.Commands.Single(c => c.Name == "ACK");
        Assert.That(ack.Params.Message!.Headers["message-id"], Is.EqualTo("m3"));
    }

    [Test]
    public void A_repeat_is_dropped_across_a_failover_and_acknowledged_on_the_new_node()
    {
        var nodes = new MockNodes(2);
        var bodies = new List<string>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 10 }, m => bodies.Add(m.Body));
        var first = nodes.Active;
        first.Receipt(0);
        first.Commands[0].Params.OnMessage!(Message("a", "m1"));

        first.Break(Reset, lost: [0], aborted: []);
        var next = nodes.Active;
        next.Receipt(0);
        next.Commands[0].Params.OnMessage!(Message("a", "other-node-id"));
        next.Commands[0].Params.OnMessage!(Message("b", "m2"));

        Assert.That(bodies, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.EqualTo(1));
        Assert.That(next.Commands.Count(c => c.Name == "ACK"), Is.EqualTo(1));
        Assert.That(first.Commands.Count(c => c.Name == "ACK"), Is.Zero);
    }

    [Test]
    public void In_client_mode_a_dropped_repeat_is_not_acknowledged_since_a_cumulative_ACK_would_acknowledge_the_applications_messages()
    {
        var nodes = new MockNodes(1);
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client", DeduplicationWindow = 4 }, _ => { });
        nodes.Active.Receipt(0);
        nodes.Active.Commands[0].Params.OnMessage!(Message("a", "m1"));
        nodes.Active.Commands[0].Params.OnMessage!(Message("a", "m2"));

        Assert.That(nodes.Cluster.DuplicatesDropped, Is.EqualTo(1));
        Assert.That(nodes.Active.Commands.Count(c => c.Name == "ACK"), Is.Zero);
    }

    [Test]
    public void The_window_is_bounded_an_id_older_than_the_window_is_delivered_again()
    {
        var nodes = new MockNodes(1);
        var bodies = new List<string>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", DeduplicationWindow = 2 }, m => bodies.Add(m.Body));
        nodes.Active.Receipt(0);
        var deliver = nodes.Active.Commands[0].Params.OnMessage!;

        foreach (var id in new[] { "a", "b", "b", "c", "a", "c" })
        {
            deliver(Message(id, "m-" + id));
        }

        Assert.That(bodies, Is.EqualTo(new[] { "a", "b", "c", "a" }));
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.EqualTo(2));
    }

    [Test]
    public void Without_a_window_every_message_is_delivered_as_in_the_original()
    {
        var nodes = new MockNodes(1);
        var bodies = new List<string>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q" }, m => bodies.Add(m.Body));
        nodes.Active.Receipt(0);
        nodes.Active.Commands[0].Params.OnMessage!(Message("a", "m1"));
        nodes.Active.Commands[0].Params.OnMessage!(Message("a", "m2"));

        Assert.That(bodies, Has.Count.EqualTo(2));
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.Zero);
    }

    [Test]
    public void A_negative_window_is_refused_at_the_call()
    {
        var nodes = new MockNodes(1);

        Assert.That(() => nodes.Cluster.Subscribe(new() { ["destination"] = "/q", DeduplicationWindow = -1 }, _ => { }),
            Throws.ArgumentException.With.Message.EqualTo("\"DeduplicationWindow\" must be a positive integer"));
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void A_redelivery_of_a_message_the_application_NACKed_reaches_it_again_instead_of_being_dropped_and_acknowledged()
    {
        var nodes = new MockNodes(2);
        var received = new List<Frame>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 10 }, received.Add);
        var node = nodes.Active;
        node.Receipt(0);
        var deliver = node.Commands[0].Params.OnMessage!;

        deliver(Message("a", "m1"));
        nodes.Cluster.Nack(new() { Message = received[0] });
        deliver(Message("a", "m2"));

        Assert.That(received.Select(m => m.Headers["message-id"]), Is.EqualTo(new[] { "m1", "m2" }), "the application asked to see it again");
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.Zero);
        Assert.That(node.Commands.Count(c => c.Name == "ACK"), Is.Zero, "an ACK of the redelivery would lose the message the application refused");
    }

    [Test]
    public void A_NACKed_message_of_a_subscription_made_without_an_id_is_redelivered_though_the_broker_names_a_subscription_of_its_own()
    {
        var nodes = new MockNodes(1);
        var received = new List<Frame>();
        nodes.Cluster.Subscribe(new() { ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 10 }, received.Add);
        var node = nodes.Active;
        node.Receipt(0);
        var deliver = node.Commands[0].Params.OnMessage!;

        // As RabbitMQ does for a SUBSCRIBE without an id: the MESSAGE names a subscription the
        // client never made, and the node client finds the subscription by its destination.
        Frame Delivery(string messageId) => new("MESSAGE", new FrameHeaders(("subscription", "T_/q"), ("destination", "/q"), ("message-id", messageId), (SendJournalOptions.IdHeader, "a")), "a");
        deliver(Delivery("m1"));
        nodes.Cluster.Nack(new() { Message = received[0] });
        deliver(Delivery("m2"));

        Assert.That(received.Select(m => m.Headers["message-id"]), Is.EqualTo(new[] { "m1", "m2" }), "the application asked to see it again");
        Assert.That(nodes.Cluster.DuplicatesDropped, Is.Zero);
        Assert.That(node.Commands.Count(c => c.Name == "ACK"), Is.Zero, "an ACK of the redelivery would lose the message the application refused");
    }

    [Test]
    public void A_forgotten_id_is_taken_as_new_and_the_filter_still_holds_no_more_ids_than_its_window()
    {
        var filter = new DuplicateFilter(3);
        filter.FirstTime("a");
        filter.FirstTime("b");
        filter.Forget("a");
        filter.Forget("never seen");

        Assert.That(filter.FirstTime("a"), Is.True);
        Assert.That(filter.FirstTime("c"), Is.True);
        Assert.That(filter.FirstTime("d"), Is.True);
        Assert.That(filter.Count, Is.LessThanOrEqualTo(3));
        Assert.That((filter.FirstTime("a"), filter.FirstTime("c"), filter.FirstTime("d")), Is.EqualTo((false, false, false)), "the last three ids are all still held");
    }

    [Test]
    public void A_window_as_large_as_int_MaxValue_is_taken_and_costs_memory_only_as_ids_arrive()
    {
        var nodes = new MockNodes(1);
        var bodies = new List<string>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = int.MaxValue }, m => bodies.Add(m.Body));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(4_000_000), "the SUBSCRIBE does not take the window's whole memory");

        var deliver = nodes.Active.Commands[0].Params.OnMessage!;
        for (var i = 0; i < 5000; i++)
        {
            deliver(Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "m" + i));
        }

        deliver(Message("0", "again"));
        Assert.That((bodies.Count, nodes.Cluster.DuplicatesDropped), Is.EqualTo((5000, 1)), "ids past the first ring's size are still held");
    }

    [Test]
    public void A_window_that_grew_still_forgets_its_oldest_id_first()
    {
        var filter = new DuplicateFilter(3000);
        for (var i = 0; i < 3000; i++)
        {
            filter.FirstTime(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.That(filter.FirstTime("new"), Is.True);
        Assert.That(filter.Count, Is.EqualTo(3000));
        Assert.That((filter.FirstTime("0"), filter.FirstTime("2999")), Is.EqualTo((true, false)), "0 was the oldest");
    }

    [Test]
    public void The_filter_holds_no_more_ids_than_its_window()
    {
        var filter = new DuplicateFilter(3);
        for (var i = 0; i < 100; i++)
        {
            Assert.That(filter.FirstTime(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Is.True);
            Assert.That(filter.Count, Is.LessThanOrEqualTo(3));
        }

        Assert.That(filter.FirstTime("99"), Is.False);
        Assert.That(filter.FirstTime("96"), Is.True);
    }

    [Test]
    public void Ids_too_long_or_not_ASCII_to_keep_inline_are_held_and_forgotten_like_short_ones()
    {
        var filter = new DuplicateFilter(3);
        var longId = new string('x', 40);
        var longer = longId + "y";
        var accented = "idé-1";

        Assert.That((filter.FirstTime(longId), filter.FirstTime(longer), filter.FirstTime(accented)), Is.EqualTo((true, true, true)));
        Assert.That((filter.FirstTime(new string('x', 40)), filter.FirstTime(longer), filter.FirstTime("idé-1")), Is.EqualTo((false, false, false)));
        Assert.That(filter.FirstTime("ide-1"), Is.True, "an ASCII id is not taken for the accented one it resembles");

        filter.Forget(longer);
        Assert.That(filter.FirstTime(longer), Is.True, "a forgotten long id is new again");
        Assert.That(filter.Count, Is.LessThanOrEqualTo(3));
        Assert.That((filter.FirstTime("ide-1"), filter.FirstTime(longer)), Is.EqualTo((false, false)));
        Assert.That(filter.FirstTime(longId), Is.True, "the oldest long id left the window");
    }

    [Test]
    public void An_empty_id_is_an_id_like_any_other()
    {
        var filter = new DuplicateFilter(2);

        Assert.That((filter.FirstTime(string.Empty), filter.FirstTime(string.Empty)), Is.EqualTo((true, false)));
        Assert.That((filter.FirstTime("a"), filter.FirstTime("b"), filter.FirstTime(string.Empty)), Is.EqualTo((true, true, true)), "it left the window of two");
    }

    [Test]
    public void A_repeat_does_not_push_an_older_id_out_of_the_window()
    {
        var filter = new DuplicateFilter(2);
        filter.FirstTime("a");
        filter.FirstTime("b");
        for (var i = 0; i < 5; i++)
        {
            Assert.That(filter.FirstTime("b"), Is.False);
        }

        Assert.That(filter.FirstTime("a"), Is.False, "a is still among the last two ids");
    }

    private static Frame Message(string id, string messageId) =>
        new("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", messageId), (SendJournalOptions.IdHeader, id)), id);
}
