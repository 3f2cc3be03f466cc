using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Review;

[TestFixture]
public sealed class ClusterCallbackExceptionTests
{
    [Test]
    public void A_failed_node_is_left_behind_even_when_on_node_error_throws()
    {
        var nodes = ThreeNodesWhoseOnNodeErrorThrows();
        var failed = nodes.Active;

        Assert.Throws<InvalidOperationException>(() => failed.Options.OnError!(new StompError("Connection reset by peer", E_IO)));

        // The node's remaining failure callbacks run on the next pass and retry on the
        // active node: it must not be the dead one.
        Assert.That(nodes.Active, Is.Not.SameAs(failed));
    }

    [Test]
    public void A_failed_SEND_still_runs_again_on_the_next_node_when_on_node_error_throws()
    {
        var nodes = ThreeNodesWhoseOnNodeErrorThrows();
        var first = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        var (_, _, callback) = first.Commands.Single();
        first.Commands.Clear();

        // The node has already failed over (its on_error ran); now it aborts the SEND.
        Assert.Throws<InvalidOperationException>(() => first.Options.OnError!(new StompError("Connection reset by peer", E_IO)));
        Assert.Throws<InvalidOperationException>(() => callback!(null, new StompError("Operation \"SEND\" aborted: Connection reset by peer", E_IO)));

        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(nodes.Active.Commands.Select(c => c.Name), Is.EqualTo(new[] { "SEND" }));
    }

    [Test]
    public void A_callback_that_throws_during_Dispose_does_not_keep_the_other_pending_commands_from_their_answer()
    {
        var nodes = new MockNodes(2);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, _) => throw new InvalidOperationException("user bug"));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b" }, nodes.Record("second"));

        Assert.Throws<InvalidOperationException>(nodes.Cluster.Dispose);

        Assert.That(nodes.Trace, Is.EqualTo(new[] { "second: Operation \"SEND\" aborted: Client object destroyed prematurely." }));
        Assert.That(nodes.Nodes.All(n => n.Disposed), Is.True);
    }

    [Test]
    public void A_callback_that_throws_during_force_disconnect_does_not_keep_the_other_nodes_connected()
    {
        var nodes = new MockNodes(3);
        var active = nodes.Active;
        active.Mock.Setup(n => n.ForceDisconnect()).Callback(() => active.Options.OnDisconnect!());
        nodes.Cluster.OnNodeDisconnect = (_, _) => throw new InvalidOperationException("user bug");

        Assert.Throws<InvalidOperationException>(nodes.Cluster.ForceDisconnect);

        nodes.Nodes.ForEach(n => n.Mock.Verify(m => m.ForceDisconnect(), Moq.Times.Once));
    }

    private static MockNodes ThreeNodesWhoseOnNodeErrorThrows() => new(3, configure: o => o.MockNodesWith(new()
    {
        OnNodeError = (_, _, _) => throw new InvalidOperationException("user bug"),
    }));
}
