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
