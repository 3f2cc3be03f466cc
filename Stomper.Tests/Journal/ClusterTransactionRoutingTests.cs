using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>A transaction's commands go to the connection its BEGIN went to, and never to another (issue 14, item 4), with or without the journal.</summary>
[TestFixture]
public sealed class ClusterTransactionRoutingTests
{
    private static readonly StompError Reset = new("Connection reset by peer", E_IO);

    [TestCase(false)]
    [TestCase(true)]
    public void A_SEND_of_a_transaction_whose_BEGIN_died_with_its_node_fails_clearly_and_goes_nowhere(bool journal)
    {
        var nodes = journal ? ClusterSendJournalTests.Journaled(3) : new MockNodes(3);
        var first = BeginThenLoseTheNode(nodes);
        StompError? answer = null;
        nodes.Cluster.Send(new() { ["destination"] = "/q", ["transaction"] = "tx1" }, (_, e) => answer = e);
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(answer?.Message, Is.EqualTo("SEND not sent: transaction \"tx1\" began on the connection to node" + first.Host[4..] + ":" + first.Options.Port + ", which is closed; the server aborted the transaction with it."));
        Assert.That((answer!.Code, answer.MayHaveBeenDelivered), Is.EqualTo((E_OPRN_ERROR, false)));
        Assert.That(nodes.Nodes.All(n => n.Commands.Count == 0), Is.True);
        Assert.That(nodes.Cluster.JournalCount, Is.Zero);
    }

    [Test]
    public void A_COMMIT_of_a_lost_transaction_fails_and_forgets_it()
    {
        var nodes = new MockNodes(2);
        BeginThenLoseTheNode(nodes);
        StompError? answer = null;

        nodes.Cluster.Commit(new() { ["transaction"] = "tx1" }, (_, e) => answer = e);
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(answer?.Message, Does.StartWith("COMMIT not sent: transaction \"tx1\" began on the connection to"));
        Assert.That(nodes.Cluster.TransactionCount, Is.Zero);
    }

    [Test]
    public void A_BEGIN_and_its_SENDs_cut_short_by_a_failure_run_again_together_on_the_next_node_in_order()
    {
        var nodes = ClusterSendJournalTests.Journaled(3);
        var first = nodes.Active;
        nodes.Cluster.Begin(new() { ["transaction"] = "tx1", ["receipt"] = "auto" });
        nodes.Cluster.Send(new() { ["destination"] = "/q", ["transaction"] = "tx1", Body = "a" });
        nodes.Cluster.Send(new() { ["destination"] = "/q", ["transaction"] = "tx1", Body = "b" });

        ClusterSendJournalTests.AbortEach(first, Reset, written: true);

        var next = nodes.Active;
        Assert.That(next.Commands.Select(c => $"{c.Name} {c.Params.Body}"), Is.EqualTo(new[] { "BEGIN ", "SEND a", "SEND b" }));
        nodes.Cluster.Commit(new() { ["transaction"] = "tx1" });
        Assert.That(next.Commands[^1].Name, Is.EqualTo("COMMIT"));
        Assert.That(nodes.Cluster.TransactionCount, Is.Zero, "a COMMIT ends the routing");
    }

    [Test]
    public void A_BEGIN_the_server_refused_leaves_no_routing_behind()
    {
        var nodes = new MockNodes(2);
        StompError? answer = null;
        nodes.Cluster.Begin(new() { ["transaction"] = "tx1", ["receipt"] = "r" }, (_, e) => answer = e);
        nodes.Active.Commands[0].Callback!(null, new StompError("no", E_OPRN_ERROR, new Frame("ERROR")));

        Assert.That(answer?.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(nodes.Cluster.TransactionCount, Is.Zero, "an application that saw its BEGIN fail never commits it");
    }

    [Test]
    public void A_BEGIN_given_up_by_every_node_leaves_no_routing_behind()
    {
        var nodes = new MockNodes(2);
        StompError? answer = null;
        nodes.Cluster.Begin(new() { ["transaction"] = "tx1", ["receipt"] = "r" }, (_, e) => answer = e);
        nodes.Active.Fail(Reset);
        nodes.Active.Fail(Reset);
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(answer?.Code, Is.EqualTo(E_IO));
        Assert.That(nodes.Cluster.TransactionCount, Is.Zero);
    }

    [Test]
    public void Transactions_abandoned_on_ended_connections_are_bounded()
    {
        var nodes = new MockNodes(2);
        for (var i = 0; i < 5000; i++)
        {
            var node = nodes.Active;
            nodes.Cluster.Begin(new() { ["transaction"] = "tx" + i });
            node.Commands[0].Callback?.Invoke(null, null);
            node.Commands.Clear();
            if (i % 10 == 9)
            {
                ClusterSendJournalTests.AbortEach(node, Reset, written: false);
                nodes.Cluster.Loop.RunOnce(block: false);
            }
        }

        Assert.That(nodes.Cluster.TransactionCount, Is.LessThanOrEqualTo(1024 + 10));
    }

    [Test]
    public void A_SEND_of_a_transaction_whose_BEGIN_waits_out_a_backoff_waits_with_it_and_follows_it_to_the_next_node()
    {
        var nodes = ClusterSendJournalTests.Journaled(2, policy: new ReconnectPolicy());
        var answers = new List<string>();
        nodes.Cluster.Begin(new() { ["transaction"] = "tx1", ["receipt"] = "b" }, (_, e) => answers.Add("BEGIN " + (e?.Message ?? "ok")));
        nodes.Active.Fail(Reset);
        nodes.Active.Fail(Reset);
        nodes.Cluster.Send(new() { ["destination"] = "/q", ["transaction"] = "tx1", Body = "a" }, (_, e) => answers.Add("SEND " + (e?.Message ?? "ok")));
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(answers, Is.Empty, "the SEND waits for its BEGIN instead of failing on the BEGIN's dead connection");
        nodes.Clock.Advance(nodes.Cluster.Backoff!.CurrentDelay!.Value.TotalSeconds + 0.001);
        nodes.Cluster.Loop.RunPending();

        var next = nodes.Active;
        Assert.That(next.Commands.Select(c => c.Name), Is.EqualTo(new[] { "BEGIN", "SEND" }));
        nodes.Cluster.Commit(new() { ["transaction"] = "tx1" });
        Assert.That(next.Commands[^1].Name, Is.EqualTo("COMMIT"), "the COMMIT goes where the BEGIN went");
    }

    /// <summary>BEGIN of "tx1" on the active node, answered when written (it has no receipt), then that node fails.</summary>
    private static MockNodes.Node BeginThenLoseTheNode(MockNodes nodes)
    {
        var node = nodes.Active;
        nodes.Cluster.Begin(new() { ["transaction"] = "tx1" });
        node.Commands[0].Callback?.Invoke(null, null);
        node.Commands.Clear();
        ClusterSendJournalTests.AbortEach(node, Reset, written: false);
        return node;
    }

    [Test]
    public void A_SEND_of_a_transaction_the_cluster_never_began_goes_to_the_active_node_as_before()
    {
        var nodes = new MockNodes(2);
        nodes.Cluster.Send(new() { ["destination"] = "/q", ["transaction"] = "elsewhere" });

        Assert.That(nodes.Active.Commands.Single().Name, Is.EqualTo("SEND"));
    }
}
