using Moq;
using NUnit.Framework;

namespace Stomper.Tests.Cluster;

/// <summary>The cluster pauses and resumes reading on every node, so a consumer that holds back holds back whichever node delivers.</summary>
[TestFixture]
public sealed class ClusterPauseReadingTests
{
    [Test]
    public void Pausing_and_resuming_the_cluster_pauses_and_resumes_every_node()
    {
        var m = new MockNodes(3);

        m.Cluster.PauseReading();
        m.Cluster.ResumeReading();

        foreach (var node in m.Nodes)
        {
            node.Mock.Verify(n => n.PauseReading(), Times.Once);
            node.Mock.Verify(n => n.ResumeReading(), Times.Once);
        }
    }

    [Test]
    public void Pausing_the_cluster_off_the_loop_thread_is_refused()
    {
        var m = new MockNodes(2);
        m.Cluster.Loop.RunOnce(block: false);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                m.Cluster.PauseReading();
            }
            catch (InvalidOperationException e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();

        Assert.That(error, Is.Not.Null);
        m.Nodes.ForEach(n => n.Mock.Verify(c => c.PauseReading(), Times.Never));
    }
}
