using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;

namespace Stomper.Tests.Review;

/// <summary>
/// A seeded random walk over a cluster of three scripted nodes: commands (some from
/// callbacks), callbacks that throw, ACKs of delivered messages, force_disconnect, and
/// nodes that die, come back, hold or refuse receipts. Checks that every command is
/// answered exactly once and that nothing but the user's own exceptions leaves the loop.
/// </summary>
[TestFixture]
public sealed class ClusterRandomSequenceTests
{
    [Test]
    public void Every_cluster_command_is_answered_exactly_once_in_300_seeded_sequences()
    {
        Seeds.Each(300, Walk);
    }

    private static void Walk(int seed)
    {
        var random = new Random(seed);
        using var loop = new Loop(new FakeClock());
        var server = new ScriptedStompServer();
        var log = new List<string>();
        var answers = new Dictionary<int, int>();
        var delivered = new List<Frame>();
        var closing = false;
        var disposed = false;
        var next = 0;
        StomperCluster? cluster = null;
        cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 1), new("c", 1)],
            Random = new Random(seed),
            Loop = loop,
            Transport = server.Transport,
            OnNodeError = (err, host, _) =>
            {
                log.Add($"on_node_error {host}: {err.Message}");
                if (random.Next(10) == 0)
                {
                    throw new UserBug();
                }
            },
            OnError = err => log.Add("on_error " + err.Message),
        });
        var nodes = new[] { "a", "b", "c" }.Select(n => server.Node(n, 1)).ToArray();

        void Issue(int depth)
        {
            var n = next++;
            answers[n] = 0;
            var first = true;
            Action<Frame?, StompError?> callback = (_, err) =>
            {
                if (!first)
                {
                    return;
                }

                first = false;
                answers[n]++;
                log.Add($"#{n} {(err is null ? "ok" : err.Message)}");
                if (!closing && !disposed && depth < 2 && random.Next(6) == 0)
                {
                    Issue(depth + 1);
                }

                if (!disposed && random.Next(60) == 0)
                {
                    log.Add("dispose from a callback");
                    disposed = true;
                    cluster!.Dispose();
                }

                if (random.Next(8) == 0)
                {
                    throw new UserBug();
                }
            };
            var id = "s" + random.Next(2);
            switch (random.Next(6))
            {
                case 0:
                    log.Add($"#{n} SEND");
                    cluster!.Send(new() { ["destination"] = "/q" }, callback);
                    break;
                case 1:
                    log.Add($"#{n} SEND receipt");
                    cluster!.Send(new() { ["destination"] = "/q", ["receipt"] = "auto" }, callback);
                    break;
                case 2:
                    log.Add($"#{n} SUBSCRIBE {id}");
                    cluster!.Subscribe(new() { ["id"] = id, ["destination"] = "/q" + id, ["ack"] = "client-individual", OnReceipt = callback }, m => delivered.Add(m));
                    break;
                case 3:
                    log.Add($"#{n} UNSUBSCRIBE {id}");
                    cluster!.Unsubscribe(new() { ["id"] = id }, callback);
                    break;
                case 4 when delivered.Count > 0:
                    var m = delivered[random.Next(delivered.Count)];
                    delivered.Remove(m);
                    log.Add($"#{n} ACK {m.Headers["message-id"]}");
                    cluster!.Ack(new() { Message = m }, callback);
                    break;
                default:
                    log.Add($"#{n} BEGIN");
                    cluster!.Begin(new() { ["transaction"] = "t" }, callback);
                    break;
            }
        }

        void Safely(Action action)
        {
            try
            {
                action();
            }
            catch (UserBug)
            {
            }
        }

        for (var step = 0; step < 80; step++)
        {
            var node = nodes[random.Next(nodes.Length)];
            switch (random.Next(14))
            {
                case 0 or 1 or 2 when !disposed:
                    Safely(() => Issue(0));
                    break;
                case 3:
                    log.Add($"kill {node}");
                    node.Kill();
                    break;
                case 4:
                    node.Revive();
                    break;
                case 5 when node.Connections.Count > 0:
                    log.Add($"io error {node}");
                    node.Connection.PushIoError();
                    break;
                case 6:
                    server.Receipts = (ReceiptMode)random.Next(3);
                    log.Add("receipts " + server.Receipts);
                    break;
                case 7:
                    server.ReleaseReceipts();
                    break;
                case 8 when node.Connections.Count > 0 && node.Connection.Subscriptions.Count > 0:
                    var destination = node.Connection.Subscriptions.Values.First().Destination;
                    log.Add($"message on {node} {destination}");
                    node.Connection.PushMessage(destination, "m");
                    break;
                case 9 when random.Next(3) == 0:
                    log.Add("force_disconnect");
                    Safely(cluster.ForceDisconnect);
                    break;
                case 10:
                    Safely(() => loop.Advance(1));
                    break;
                default:
                    Safely(() => loop.RunOnce(block: false));
                    break;
            }
        }

        log.Add("final");
        closing = true;
        foreach (var node in nodes)
        {
            node.Revive();
        }

        server.Receipts = ReceiptMode.Answer;
        for (var i = 0; i < 5; i++)
        {
            server.ReleaseReceipts();
            Safely(() => loop.Advance(1));
        }

        Safely(cluster.ForceDisconnect);
        for (var i = 0; i < 20; i++)
        {
            Safely(() => loop.RunOnce(block: false));
        }

        var wrong = answers.Where(a => a.Value > 1 || (a.Value == 0)).Select(a => $"#{a.Key} answered {a.Value} times").ToList();
        Assert.That(wrong, Is.Empty, string.Join("\n", log));
        Safely(cluster.Dispose);
    }

    private sealed class UserBug : Exception
    {
    }
}
