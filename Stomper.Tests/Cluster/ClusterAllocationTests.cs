using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.Cluster;

/// <summary>The cluster adds no allocation of its own to the SEND path of its node clients.</summary>
[TestFixture]
public sealed class ClusterAllocationTests
{
    private const int Sends = 10_000;

    [Test]
    public void A_SEND_through_the_cluster_allocates_nothing_per_message()
    {
        var node = new AnsweringNode();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("node1", 61613)],
            Loop = new Loop(new FakeClock()),
            NodeFactory = _ => node,
        });
        var perSend = BytesPerSend(cluster, node, Sends, out var answered);
        Assert.That(answered, Is.EqualTo(Sends + 100));
        Assert.That(perSend, Is.LessThan(1.0), $"{perSend:F1} bytes allocated per SEND");
    }

    /// <summary>Sends <paramref name="count"/> times through <paramref name="cluster"/> after 100 warm-up sends, answering every tenth, and gives the bytes allocated per SEND.</summary>
    internal static double BytesPerSend(StomperCluster cluster, AnsweringNode node, int count, out int answered)
    {
        var send = new CommandParams { ["destination"] = "/queue/a", Body = "x" };
        var received = 0;
        Action<Frame?, StompError?> onReceipt = (_, _) => received++;
        for (var i = 0; i < 100; i++)
        {
            cluster.Send(send, onReceipt);
            node.AnswerAll();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            cluster.Send(send, onReceipt);
            if (i % 10 == 9)
            {
                node.AnswerAll();
            }
        }

        var perSend = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / count;
        answered = received;
        return perSend;
    }

    /// <summary>A node client that takes every command and answers it when told. Hand-written, not a Moq mock: Moq records each call, which would be the allocation measured.</summary>
    internal sealed class AnsweringNode : IStomperClient
    {
        private readonly Queue<Action<Frame?, StompError?>> _callbacks = new(64);

        /// <summary>The parameters of the last command given: a SUBSCRIBE's message callback, for tests that deliver through it.</summary>
        public CommandParams? LastParameters { get; private set; }

        public string Host => "node1";

        public int Port => 61613;

        public bool IsConnected => true;

        public void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null)
        {
            LastParameters = parameters;
            _callbacks.Enqueue(onReceipt!);
        }

        public void AnswerAll()
        {
            while (_callbacks.TryDequeue(out var callback))
            {
                callback(null, null);
            }
        }

        public void ForceDisconnect()
        {
        }

        public void PauseReading()
        {
        }

        public void ResumeReading()
        {
        }

        public void Dispose()
        {
        }
    }
}
