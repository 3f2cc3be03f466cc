using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.EndToEnd;

/// <summary>
/// The cluster client over three fake brokers on loopback: node A refuses connections,
/// node B is the one the tests kill, node C answers SENDs to <c>/queue/refused</c> with ERROR.
/// </summary>
[TestFixture]
public sealed class ClusterFakeBrokerTests
{
    private const int A = 0;
    private const int B = 1;
    private const int C = 2;
    private LoopDriver _driver = null!;
    private FakeBroker[] _brokers = null!;
    private StomperCluster? _cluster;

    private List<string> Trace => _driver.Trace;

    [SetUp]
    public void SetUp()
    {
        _driver = new LoopDriver();
        _brokers = [new FakeBroker().Start(), new FakeBroker().Start(), new FakeBroker().Start()];
        _brokers[A].SetAcceptMode(AcceptMode.Refuse);
        _brokers[C].ErrorOn("SEND", "/queue/refused", "Access refused");
    }

    [TearDown]
    public void TearDown()
    {
        _cluster?.Dispose();
        _driver.Dispose();
        foreach (var broker in _brokers)
        {
            broker.Dispose();
        }
    }

    private string Name(int node) => $"127.0.0.1:{_brokers[node].Port}";

    /// <summary>A cluster whose seeded random source picks <paramref name="first"/> as the first active node.</summary>
    private StomperCluster Cluster(int first)
    {
        var seed = Enumerable.Range(0, 1000).First(s => new Random(s).Next(3) == first);
        _cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [.. _brokers.Select(b => new ClusterNode(b.Host, b.Port))],
            Random = new Random(seed),
            Loop = _driver.Loop,
            OnNodeConnect = (host, port) => Trace.Add($"connect {host}:{port}"),
            OnNodeDisconnect = (host, port) => Trace.Add($"disconnect {host}:{port}"),
            OnNodeError = (err, host, port) => Trace.Add($"error {host}:{port}: {err.Code} {err.Message}"),
            OnError = err => Trace.Add($"on_error: {err.Code} {err.Message}"),
        });
        Assert.That(_cluster.ActiveNode.Port, Is.EqualTo(_brokers[first].Port));
        return _cluster;
    }

    private Frame Receipted(StomperCluster cluster, CommandParams send)
    {
        var cv = _driver.Loop.Cv();
        send["receipt"] = "auto";
        cluster.Send(send, (receipt, err) =>
        {
            if (err is null)
            {
                cv.Send(receipt);
            }
            else
            {
                cv.Croak($"SEND failed: {err.Code} {err.Message}");
            }
        });
        return (Frame)_driver.Wait(cv, "the SEND's RECEIPT")[0]!;
    }

    [Test]
    public void A_node_that_refuses_hands_the_SEND_to_the_next_node_reporting_the_failure_with_host_and_port()
    {
        var cluster = Cluster(first: A);

        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "one" });

        var refused = $"Can't connect to {Name(A)}: Connection refused";
        Assert.That(Trace, Is.EqualTo(new[]
        {
            $"error {Name(A)}: E_CANT_CONN {refused}",
            $"error {Name(A)}: E_CANT_CONN Operation \"SEND\" aborted: {refused}",
            $"connect {Name(B)}",
        }));
        Assert.That(_brokers[B].ReceivedBy("SEND").Single().Frame.Body, Is.EqualTo("one"));
        Assert.That(cluster.ActiveNode.Port, Is.EqualTo(_brokers[B].Port));
    }

    [Test]
    public void A_SEND_whose_node_dies_before_the_RECEIPT_is_sent_again_on_the_next_node()
    {
        var cluster = Cluster(first: B);
        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "before" });
        _brokers[B].KillAfter(1, "SEND");

        var receipt = Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "during" });

        Assert.That(_brokers[C].ReceivedBy("SEND").Single()["receipt"], Is.EqualTo(receipt.Headers["receipt-id"]));
        Assert.That(_brokers[C].ReceivedBy("SEND").Single().Frame.Body, Is.EqualTo("during"));
        Assert.That(Trace.First(), Is.EqualTo($"connect {Name(B)}"));
        Assert.That(Trace.Where(t => t.StartsWith($"error {Name(B)}: ", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(2));
        Assert.That(Trace.Skip(1).Take(3), Does.Contain($"disconnect {Name(B)}"));
        Assert.That(Trace.Last(), Is.EqualTo($"connect {Name(C)}"));
    }

    [Test]
    public void A_SEND_answered_with_ERROR_is_not_repeated_and_its_callback_gets_E_OPRN_ERROR_with_the_frame()
    {
        var cluster = Cluster(first: C);
        StompError? error = null;

        cluster.Send(new() { ["destination"] = "/queue/refused", ["receipt"] = "auto", Body = "x" }, (_, err) => error = err);
        _driver.RunUntil(() => error is not null && Trace.Contains($"disconnect {Name(C)}"), "the ERROR and the close after it");

        Assert.That((error!.Code, error.Message, error.Frame?.Command), Is.EqualTo((E_OPRN_ERROR, "Access refused", "ERROR")));
        Assert.That(Trace.Take(2), Is.EqualTo(new[] { $"connect {Name(C)}", $"error {Name(C)}: E_OPRN_ERROR Access refused" }));
        Assert.That(_brokers.Sum(b => b.FramesReceived("SEND")), Is.EqualTo(1));
    }

    [Test]
    public void A_subscription_whose_node_dies_is_made_again_on_the_next_node_and_its_on_receipt_is_called_again()
    {
        var cluster = Cluster(first: B);
        var receipts = new List<string>();
        var messages = new List<Frame>();
        cluster.Subscribe(new()
        {
            ["id"] = "s1",
            ["destination"] = "/queue/a",
            OnMessage = messages.Add,
            OnReceipt = (receipt, err) => receipts.Add(err is null ? "receipt" : $"{err.Code} {err.Message}"),
        });
        _driver.RunUntil(() => receipts.Count == 1, "the first RECEIPT");

        _brokers[B].Kill();
        _driver.RunUntil(() => receipts.Count == 2, "the RECEIPT of the second SUBSCRIBE");
        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "after" });
        _driver.RunUntil(() => messages.Count == 1, "the message through the new subscription");

        Assert.That(receipts, Is.EqualTo(new[] { "receipt", "receipt" }));
        Assert.That(_brokers[C].Connection(0).Subscriptions.Single().Id, Is.EqualTo("s1"));
        Assert.That(messages.Single().Body, Is.EqualTo("after"));
        Assert.That(Trace, Does.Contain($"error {Name(B)}: E_CONN_CLOSED_BY_REMOTE_HOST Subscription \"s1\" lost: Connection closed by remote host.")
            .Or.Contain($"error {Name(B)}: E_IO Subscription \"s1\" lost: Connection reset by peer"));
    }

    [Test]
    public void An_ACK_goes_to_the_connection_that_delivered_the_message_and_fails_at_once_when_that_connection_is_gone()
    {
        var cluster = Cluster(first: B);
        var messages = new List<Frame>();
        var subscribed = 0;
        cluster.Subscribe(new()
        {
            ["id"] = "s1",
            ["destination"] = "/queue/a",
            ["ack"] = "client-individual",
            OnMessage = messages.Add,
            OnReceipt = (_, err) => subscribed += err is null ? 1 : 0,
        });
        _driver.RunUntil(() => subscribed == 1, "the SUBSCRIBE on B");
        cluster.Send(new() { ["destination"] = "/queue/a", Body = "from B" });
        _driver.RunUntil(() => messages.Count == 1, "the message from B");

        _brokers[B].Drop(0);
        _driver.RunUntil(() => subscribed == 2, "the SUBSCRIBE again on C");
        cluster.Send(new() { ["destination"] = "/queue/a", Body = "from C" });
        _driver.RunUntil(() => messages.Count == 2, "the message from C");
        var acks = new List<string>();
        cluster.Ack(new() { ["receipt"] = "auto", Message = messages[1] }, (_, err) => acks.Add(err?.Message ?? "C acked"));
        _driver.RunUntil(() => acks.Count == 1, "the ACK on C");
        cluster.Ack(new() { Message = messages[0] }, (_, err) => acks.Add(err?.Message ?? "B acked"));
        _driver.RunUntil(() => acks.Count == 2, "the ACK on B");

        Assert.That(cluster.ActiveNode.Port, Is.EqualTo(_brokers[C].Port));
        Assert.That(_brokers[C].ReceivedBy("ACK").Single()["id"], Is.EqualTo(messages[1].Headers["ack"]));

        // B's connection that delivered the first message is gone, and B will redeliver it:
        // the ACK fails without opening a connection to B, and never goes to C.
        Assert.That(acks, Is.EqualTo(new[] { "C acked", $"ACK not sent: the connection to {Name(B)} that delivered the message is closed; the server will redeliver it." }));
        Assert.That(_brokers[B].ConnectionsAccepted, Is.EqualTo(1));
        Assert.That(_brokers[C].FramesReceived("ACK"), Is.EqualTo(1));
    }

    [Test]
    public void Every_callback_of_a_stream_of_1000_receipted_SENDs_is_called_once_while_the_active_node_dies()
    {
        const int Total = 1000;
        const int Window = 50;
        var cluster = Cluster(first: B);
        _brokers[B].KillAfter(300, "SEND");
        var answers = new int[Total];
        var errors = new List<string>();
        var next = 0;
        var done = 0;

        void Issue()
        {
            var n = next++;
            cluster.Send(new() { ["destination"] = "/queue/stream", ["receipt"] = "auto", Body = n.ToString(System.Globalization.CultureInfo.InvariantCulture) }, (_, err) =>
            {
                answers[n]++;
                done++;
                if (err is not null)
                {
                    errors.Add(err.Message);
                }

                if (next < Total)
                {
                    Issue();
                }
            });
        }

        for (var i = 0; i < Window; i++)
        {
            Issue();
        }

        _driver.RunUntil(() => done >= Total, "1000 answers", seconds: 20);
        _driver.RunFor(0.05);

        Assert.That(errors, Is.Empty);
        Assert.That(answers.Where(n => n != 1), Is.Empty);
        var bodies = _brokers[B].ReceivedBy("SEND").Concat(_brokers[C].ReceivedBy("SEND")).Select(s => s.Frame.Body).ToHashSet();
        Assert.That(bodies, Has.Count.EqualTo(Total));
        Assert.That(_brokers[B].FramesReceived("SEND"), Is.EqualTo(300));
        Assert.That(cluster.ActiveNode.Port, Is.EqualTo(_brokers[C].Port));
    }

    [Test]
    public void Force_disconnect_aborts_what_is_pending_without_failover_and_the_cluster_stays_usable()
    {
        var cluster = Cluster(first: B);
        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "first" });
        _brokers[B].HoldReceipts();
        var answers = new List<string>();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "held" }, (_, err) => answers.Add($"{err?.Code} {err?.Message}"));
        _driver.WhileBrokerWaits(() => _brokers[B].WaitFor(b => b.HeldReceipts.Count == 1, "the held receipt"), "the held receipt");

        cluster.ForceDisconnect();
        _driver.RunUntil(() => answers.Count == 1, "the aborted SEND");
        _brokers[B].ReleaseReceipts();
        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "again" });

        Assert.That(answers, Is.EqualTo(new[] { "E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Connection closed by client prematurely." }));
        Assert.That(cluster.ActiveNode.Port, Is.EqualTo(_brokers[B].Port));
        Assert.That(_brokers[B].ConnectionsAccepted, Is.EqualTo(2));
        Assert.That(_brokers[C].ConnectionsAccepted, Is.Zero);
        Assert.That(Trace, Is.EqualTo(new[]
        {
            $"connect {Name(B)}",
            $"error {Name(B)}: E_CONN_CLOSED_BY_CLIENT Connection closed by client prematurely.",
            $"error {Name(B)}: E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Connection closed by client prematurely.",
            $"disconnect {Name(B)}",
            $"connect {Name(B)}",
        }));
    }

    [Test]
    public void Force_disconnect_from_on_node_error_during_a_failover_aborts_the_SEND_and_connects_no_other_node()
    {
        var cluster = Cluster(first: A);
        var traceNodeError = cluster.OnNodeError!;
        cluster.OnNodeError = (err, host, port) =>
        {
            traceNodeError(err, host, port);
            cluster.ForceDisconnect();
        };
        var answers = new List<string>();

        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "lost" }, (_, err) => answers.Add($"{err?.Code} {err?.Message}"));
        _driver.RunUntil(() => answers.Count == 1, "the SEND's answer");
        _driver.RunFor(0.05);
        cluster.OnNodeError = traceNodeError;
        Receipted(cluster, new() { ["destination"] = "/queue/a", Body = "again" });

        Assert.That(answers, Is.EqualTo(new[] { "E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Connection closed by client prematurely." }));
        Assert.That(_brokers[B].ReceivedBy("SEND").Select(s => s.Frame.Body), Is.EqualTo(new[] { "again" }));
        Assert.That(_brokers[B].ConnectionsAccepted, Is.EqualTo(1));
        Assert.That(_brokers[C].ConnectionsAccepted, Is.Zero);
    }

    [Test]
    public void Dispose_inside_on_node_error_answers_the_SEND_once_and_nothing_escapes_the_loop()
    {
        var cluster = Cluster(first: A);
        cluster.OnNodeError = (_, _, _) => cluster.Dispose();
        var answers = new List<string>();

        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "x" }, (_, err) => answers.Add($"{err?.Code} {err?.Message}"));
        _driver.RunUntil(() => answers.Count == 1, "the SEND's answer");
        _driver.RunFor(0.05);

        Assert.That(answers, Is.EqualTo(new[] { "E_CONN_CLOSED_BY_CLIENT Operation \"SEND\" aborted: Client object destroyed prematurely." }));
        Assert.That(_brokers[B].ConnectionsAccepted + _brokers[C].ConnectionsAccepted, Is.Zero);
        Assert.That(() => cluster.Send(new() { ["destination"] = "/queue/a" }), Throws.InstanceOf<ObjectDisposedException>());
    }

    [TestCase("DISCONNECT")]
    [TestCase("force_disconnect")]
    public void A_subscription_ended_by_the_application_leaves_the_clusters_table(string how)
    {
        var cluster = Cluster(first: B);
        var subscribed = 0;
        cluster.Subscribe(new()
        {
            ["id"] = "s1",
            ["destination"] = "/queue/a",
            OnMessage = _ => { },
            OnReceipt = (_, err) => subscribed += err is null ? 1 : 0,
        });
        _driver.RunUntil(() => subscribed == 1, "the SUBSCRIBE's RECEIPT");
        Assert.That(cluster.SubscriptionCount, Is.EqualTo(1));

        if (how == "DISCONNECT")
        {
            cluster.Disconnect();
        }
        else
        {
            cluster.ForceDisconnect();
        }

        _driver.RunUntil(() => Trace.Contains($"disconnect {Name(B)}"), "the node's disconnect");

        Assert.That(cluster.SubscriptionCount, Is.Zero);
        Assert.That(subscribed, Is.EqualTo(1));
    }
}
