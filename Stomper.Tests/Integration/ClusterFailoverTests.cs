using System.Diagnostics;
using System.Globalization;
using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.Integration;

/// <summary>
/// Failover of the cluster client on the real three-node RabbitMQ cluster, with a quorum
/// queue: the same tests over each of the nodes' listeners (plain TCP, TLS), one fixture each.
/// </summary>
public abstract class ClusterFailoverTests : BrokerFixture
{
    /// <summary>The three nodes' listeners the cluster connects to, node 1 first.</summary>
    protected abstract IReadOnlyList<Endpoint> Nodes { get; }

    /// <summary>The cluster's <c>handle_params</c> (every node's).</summary>
    protected virtual HandleParams? HandleParams => null;

    /// <summary>How the cluster names a node of <see cref="Nodes"/>: host and port, or a WebSocket URL.</summary>
    protected virtual ClusterNode Node(Endpoint endpoint) => new(endpoint.Host, endpoint.Port);

    private string NodeName(IStomperClient node) => "rabbit" + (Nodes.ToList().FindIndex(n => n.Port == node.Port) + 1);

    private StomperCluster Cluster(int seed, int[]? heartbeat = null, List<string>? trace = null, double? reconnectInterval = null) => new(new ClusterOptions
    {
        ReconnectInterval = reconnectInterval,
        Nodes = [.. Nodes.Select(Node)],
        Login = Brokers.Login,
        Passcode = Brokers.Passcode,
        Heartbeat = heartbeat,
        HandleParams = HandleParams,
        ConnectionTimeout = 5,
        Loop = Loop,
        Random = new Random(seed),
        OnNodeConnect = (host, port) => trace?.Add($"{Loop.Time():F3} connect {port}"),
        OnNodeError = (err, host, port) => trace?.Add($"{Loop.Time():F3} error {port}: {err.Message}"),
        OnError = err => trace?.Add($"{Loop.Time():F3} on_error: {err.Message}"),
    });

    [Test]
    public void Killing_the_active_node_mid_stream_loses_no_receipted_message_and_calls_every_send_back_once()
    {
        const int Total = 5000;
        const int Window = 20;
        var queue = $"/queue/stomper-failover-{Guid.NewGuid():N}";
        var trace = new List<string>();
        // RabbitMQ 3.10's STOMP adapter closes the connection when a quorum queue without a
        // leader refuses a publish, on whichever node: a publisher that paces its
        // reconnects and backs off after a failure lets the election finish.
        using var publisher = Cluster(seed: 7, trace: trace, reconnectInterval: 0.5);
        using var subscriber = Cluster(seed: 7);
        var victim = NodeName(publisher.ActiveNode);
        Assert.That(NodeName(subscriber.ActiveNode), Is.EqualTo(victim), "both start on the node that will die");

        // Declare the quorum queue once, then use it through /amq/queue/, which names an
        // existing queue without declaring it again: a re-declaration while the queue
        // elects a new leader makes RabbitMQ close the connection, on every node in turn.
        var declared = Loop.Cv();
        subscriber.Subscribe(new() { ["id"] = "declare", ["destination"] = queue, ["x-queue-type"] = "quorum", OnMessage = _ => { }, OnReceipt = (_, err) => declared.Send(err) });
        Assert.That(Wait(declared, 30)[0], Is.Null);
        var undeclared = Loop.Cv();
        subscriber.Unsubscribe(new() { ["id"] = "declare", ["destination"] = queue }, (_, err) => undeclared.Send(err));
        Assert.That(Wait(undeclared, 30)[0], Is.Null);
        var existing = queue.Replace("/queue/", "/amq/queue/", StringComparison.Ordinal);

        var received = new HashSet<int>();
        var subscriptions = 0;
        var subscribed = Loop.Cv();
        subscriber.Subscribe(new()
        {
            ["id"] = "failover",
            ["destination"] = existing,
            ["ack"] = "client-individual",
            ["prefetch-count"] = "500",
            OnReceipt = (_, err) =>
            {
                if (err is null && ++subscriptions == 1)
                {
                    subscribed.Send();
                }
            },
            OnMessage = m =>
            {
                received.Add(int.Parse(m.Body, CultureInfo.InvariantCulture));
                subscriber.Ack(new() { Message = m });
            },
        });
        Wait(subscribed, 30);

        var callbacks = new int[Total];
        var receipted = new HashSet<int>();
        var failed = new List<string>();
        var next = 0;
        var done = 0;
        var killed = false;
        var allAnswered = Loop.Cv();
        void SendNext()
        {
            var n = next++;
            publisher.Send(new() { ["destination"] = existing, ["receipt"] = "auto", Body = n.ToString(CultureInfo.InvariantCulture) }, (receipt, err) =>
            {
                callbacks[n]++;
                if (err is null)
                {
                    receipted.Add(n);
                }
                else
                {
                    failed.Add($"{n}: {err.Message}");
                }

                if (++done == Total)
                {
                    allAnswered.Send();
                }

                if (done == 1000 && !killed)
                {
                    killed = true;
                    Task.Run(() => Brokers.Kill(victim));
                }

                if (next < Total)
                {
                    if (err is null)
                    {
                        SendNext();
                    }
                    else
                    {
                        Loop.Timer(0.5, 0, SendNext);
                    }
                }
            });
        }

        try
        {
            for (var i = 0; i < Window; i++)
            {
                SendNext();
            }

            Wait(allAnswered, 120);
            var allReceived = Loop.Cv();
            using var poll = Loop.Timer(0, 0.1, () =>
            {
                if (receipted.IsSubsetOf(received))
                {
                    allReceived.Send();
                }
            });
            Wait(allReceived, 120);
        }
        finally
        {
            Brokers.Restart(victim);
        }

        Assert.That(callbacks, Is.All.EqualTo(1), "every SEND's callback exactly once");
        var victimPort = Nodes[int.Parse(victim[^1..], CultureInfo.InvariantCulture) - 1].Port;
        Assert.That(trace.Any(t => t.Contains(" connect ", StringComparison.Ordinal) && !t.EndsWith($" {victimPort}", StringComparison.Ordinal)), Is.True,
            "the publisher carried on through another node\n" + string.Join("\n", trace.Where(t => !t.Contains("aborted", StringComparison.Ordinal))));
        Assert.That(subscriptions, Is.GreaterThanOrEqualTo(2), "the subscription came back by itself");
        // While the cluster elects new queue leaders, the surviving nodes may close
        // connections too, and a SEND that every node failed in turn fails for good (its
        // callback says so); once the cluster has settled, the stream flows again.
        Assert.That(receipted.Count(n => n >= Total - 1000), Is.EqualTo(1000), string.Join("\n", failed.Take(5)));
        Assert.That(receipted.Except(received), Is.Empty, "every receipted message was received at least once");
        TestContext.Out.WriteLine($"killed {victim}; receipted {receipted.Count}, received {received.Count}, failed {failed.Count}");
        TestContext.Out.WriteLine(string.Join("\n", trace.Take(20)));
    }

    [Test]
    public void Pausing_the_active_node_with_heart_beats_fails_over_within_four_seconds()
    {
        var trace = new List<string>();
        using var cluster = Cluster(seed: 3, heartbeat: [1000, 1000], trace: trace);
        var first = cluster.ActiveNode;
        var victim = NodeName(first);
        var ready = Loop.Cv();
        cluster.Send(new() { ["destination"] = "/topic/stomper-pause", ["receipt"] = "auto", Body = "warm-up" }, (_, err) => ready.Send(err));
        Assert.That(Wait(ready, 30)[0], Is.Null);

        // A topic with no queue bound: its RECEIPT depends on no queue that might live on
        // the paused node, so the time measured is the client's failover alone.
        var clock = Stopwatch.StartNew();
        Brokers.Pause(victim);
        try
        {
            var delivered = Loop.Cv();
            cluster.Send(new() { ["destination"] = "/topic/stomper-pause", ["receipt"] = "auto", Body = "after pause" }, (receipt, err) => delivered.Send(receipt, err, clock.Elapsed.TotalSeconds));
            object?[] result;
            try
            {
                result = Wait(delivered, 30);
            }
            catch (CondVarCroakedException e)
            {
                Assert.Fail($"{e.Message}\n{string.Join("\n", trace)}");
                throw;
            }

            Assert.That(result[1], Is.Null, string.Join("\n", trace));
            Assert.That(cluster.ActiveNode, Is.Not.SameAs(first));
            Assert.That((double)result[2]!, Is.LessThan(4.0), string.Join("\n", trace));
            TestContext.Out.WriteLine($"paused {victim}; receipt through the next node after {(double)result[2]!:F2} s");
        }
        finally
        {
            Brokers.Resume(victim);
            Brokers.EnsureHealthy();
        }
    }

    [Test]
    public void Connections_the_active_node_closes_with_an_ERROR_frame_fail_over_and_the_subscription_comes_back()
    {
        var trace = new List<string>();
        using var cluster = Cluster(seed: 5, trace: trace);
        var first = cluster.ActiveNode;
        var victim = NodeName(first);
        var topic = $"/topic/stomper-close-{Guid.NewGuid():N}";
        var subscribed = Loop.Cv();
        var resubscribed = Loop.Cv();
        var receipts = 0;
        var received = Loop.Cv();
        cluster.Subscribe(new()
        {
            ["id"] = "close",
            ["destination"] = topic,
            OnReceipt = (_, err) =>
            {
                trace.Add($"{Loop.Time():F3} subscribe receipt: {err?.Message ?? "ok"}");
                if (err is null)
                {
                    (++receipts == 1 ? subscribed : resubscribed).Send();
                }
            },
            OnMessage = msg => received.Send(msg.Body),
        });
        Assert.That(Wait(subscribed, 30), Is.Empty);

        // RabbitMQ ends each STOMP session with an ERROR frame and keeps running: a node
        // failure for the cluster (differences table), so it subscribes again elsewhere.
        Brokers.CloseConnections(victim);
        try
        {
            Wait(resubscribed, 30);
        }
        catch (CondVarCroakedException e)
        {
            Assert.Fail($"{e.Message}\n{string.Join("\n", trace)}");
        }

        Assert.That(cluster.ActiveNode, Is.Not.SameAs(first), string.Join("\n", trace));
        cluster.Send(new() { ["destination"] = topic, ["receipt"] = "auto", Body = "after the close" });
        Assert.That(Wait(received, 30)[0], Is.EqualTo("after the close"), string.Join("\n", trace));
        TestContext.Out.WriteLine(string.Join("\n", trace));
    }
}
