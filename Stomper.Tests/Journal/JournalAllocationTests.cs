using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using AnsweringNode = Stomper.Tests.Cluster.ClusterAllocationTests.AnsweringNode;

namespace Stomper.Tests.Journal;

/// <summary>The journal and the deduplication window stay cheap on the per-message path.</summary>
[TestFixture]
public sealed class JournalAllocationTests
{
    private const int Count = 10_000;

    [Test]
    public void A_journaled_SEND_allocates_nothing_but_its_id()
    {
        var node = new AnsweringNode();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("node1", 61613)],
            Loop = new Loop(new FakeClock()),
            NodeFactory = _ => node,
            SendJournal = new SendJournalOptions(),
        });
        var perSend = ClusterAllocationTests.BytesPerSend(cluster, node, Count, out var answered);
        Assert.That(answered, Is.EqualTo(Count + 100));
        Assert.That(perSend, Is.LessThanOrEqualTo(80), $"{perSend:F1} bytes allocated per SEND: more than its id string (about 70 bytes)");
        Assert.That(cluster.JournalCount, Is.Zero);
    }

    [Test]
    public void A_message_through_a_deduplication_window_allocates_nothing()
    {
        var node = new AnsweringNode();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("node1", 61613)],
            Loop = new Loop(new FakeClock()),
            NodeFactory = _ => node,
        });
        var delivered = 0;
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", DeduplicationWindow = 1000 }, _ => delivered++);
        var onMessage = node.LastParameters!.OnMessage!;
        var frames = Enumerable.Range(0, 3000).Select(i => new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), (SendJournalOptions.IdHeader, "id-" + i)), "x")).ToArray();
        for (var i = 0; i < 1000; i++)
        {
            onMessage(frames[i]);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1000; i < 3000; i++)
        {
            onMessage(frames[i]);
        }

        var perMessage = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / 2000;
        Assert.That(delivered, Is.EqualTo(3000));
        Assert.That(perMessage, Is.LessThan(1.0), $"{perMessage:F1} bytes allocated per MESSAGE");
    }
}
