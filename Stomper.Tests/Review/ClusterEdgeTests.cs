using NUnit.Framework;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Review;

/// <summary>The cluster at its edges: commands issued inside its callbacks while a node dies.</summary>
[TestFixture]
public sealed class ClusterEdgeTests
{
    [Test]
    public void An_UNSUBSCRIBE_issued_inside_on_node_error_does_not_reconnect_the_node_that_just_died()
    {
        // Issue 9 item 11 fixed it for ACK; UNSUBSCRIBE is routed the same way (row 42, to
        // the node that holds the subscription), and inside on_node_error that node is the
        // dead one: the UNSUBSCRIBE is handed to it, and its lazy client connects again.
        MockNodes? nodes = null;
        nodes = new MockNodes(3, configure: o => o.MockNodesWith(new()
        {
            OnNodeError = (_, host, _) =>
            {
                nodes!.Trace.Add("on_node_error " + host);
                nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" }, nodes.Record("unsubscribe"));
            },
        }));
        var first = nodes.Active;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        first.Receipt(0);

        first.Options.OnError!(new StompError("Connection reset by peer", E_IO));

        Assert.That(first.Commands.Select(c => c.Name), Has.No.Member("UNSUBSCRIBE"));
    }
}
