using Moq;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Model;

/// <summary>
/// Plain regression tests for what the model test (<see cref="ClusterModelTests"/>) found,
/// each the smallest sequence that showed it; the seed that found it is in the comment.
/// </summary>
[TestFixture]
public sealed class ClusterModelFindingsTests
{
    [Test]
    public void ForceDisconnectReachesEveryNodeEvenWhenACallbackOfTheFirstThrows()
    {
        // Seed 2685: an abort callback threw inside force_disconnect, the nodes after the
        // first stayed connected and went on delivering to subscriptions the user had dropped.
        var nodes = new MockNodes(3);
        nodes.Nodes[0].Mock.Setup(n => n.ForceDisconnect()).Throws(new UserCallbackException("abort callback"));

        Assert.Throws<UserCallbackException>(nodes.Cluster.ForceDisconnect);

        nodes.Nodes[1].Mock.Verify(n => n.ForceDisconnect(), Times.Once);
        nodes.Nodes[2].Mock.Verify(n => n.ForceDisconnect(), Times.Once);
    }

    [Test]
    public void AnExceptionFromOnNodeErrorLeavesTheLoopAndTheCommandCallbackRunsOnTheNextPass()
    {
        // Seed 73: on_node_error threw and the command's callback, called from a finally,
        // threw too: the first exception was lost.
        var nodes = new MockNodes(3, configure: o => new ClusterOptions
        {
            Nodes = o.Nodes, Random = o.Random, Loop = o.Loop, NodeFactory = o.NodeFactory,
            OnNodeError = (_, _, _) => throw new UserCallbackException("on_node_error"),
        });
        var answered = 0;
        nodes.Cluster.Execute(StompCommands.Commit, new CommandParams { ["transaction"] = "t1" }, (_, _) =>
        {
            answered++;
            throw new UserCallbackException("COMMIT callback");
        });
        var (_, _, callback) = nodes.Active.Commands.Single();

        var first = Assert.Throws<UserCallbackException>(() => callback!(null, new StompError("Unknown transaction", E_OPRN_ERROR)));
        Assert.That(first!.Message, Is.EqualTo("on_node_error"));
        Assert.That(answered, Is.Zero);

        var second = Assert.Throws<UserCallbackException>(() => nodes.Cluster.Loop.RunOnce(block: false));
        Assert.That(second!.Message, Is.EqualTo("COMMIT callback"));
        Assert.That(answered, Is.EqualTo(1));
    }
}
