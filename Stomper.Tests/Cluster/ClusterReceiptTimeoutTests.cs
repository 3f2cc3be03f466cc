using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>
/// The receipt timeout in the cluster: a node that holds a receipt (RabbitMQ with a paused
/// quorum-queue leader, a SIGSTOPped broker whose kernel still accepts connections) is a
/// failed node. Real node clients over a scripted server whose "frozen" nodes read every
/// frame and answer none.
/// </summary>
[TestFixture]
public sealed class ClusterReceiptTimeoutTests
{
    private readonly List<string> _trace = [];
    private readonly HashSet<string> _frozen = [];
    private Loop _loop = null!;
    private ScriptedStompServer _server = null!;
    private StomperCluster _cluster = null!;

    [SetUp]
    public void SetUp()
    {
        _trace.Clear();
        _frozen.Clear();
        _loop = new Loop(new FakeClock());
        _server = new ScriptedStompServer { OnFrame = (connection, _) => _frozen.Contains(connection.Node!.Host) };
        _cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 1), new("c", 1)],
            Random = new Random(1),
            Loop = _loop,
            Transport = _server.Transport,
            ReceiptTimeout = TimeSpan.FromSeconds(2),
            OnNodeError = (err, host, _) => _trace.Add($"on_node_error {host}: {err.Code} {err.Message}"),
            OnError = err => _trace.Add("on_error: " + err.Message),
        });
    }

    [TearDown]
    public void TearDown()
    {
        _cluster.Dispose();
        _loop.Dispose();
    }

    [Test]
    public void A_SEND_whose_receipt_times_out_fails_over_and_is_answered_once_by_the_next_node_where_the_subscription_is_made_again()
    {
        var delivered = new List<string>();
        var subscribeAnswers = new List<string>();
        _cluster.Subscribe(
            new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, err) => subscribeAnswers.Add(err?.Message ?? "ok") },
            m => delivered.Add(m.Body));
        _loop.Advance(1);
        var first = _cluster.ActiveNode.Host;
        _frozen.Add(first);
        var sendAnswers = new List<string>();
        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "hello" }, (_, err) => sendAnswers.Add(err?.Message ?? "ok"));

        _loop.Advance(1.8);
        Assert.That(sendAnswers, Is.Empty);
        Assert.That(_cluster.ActiveNode.Host, Is.EqualTo(first));
        _loop.Advance(1);

        var next = _cluster.ActiveNode.Host;
        Assert.That(next, Is.Not.EqualTo(first));
        Assert.That(_trace[0], Does.Match($"^on_node_error {first}: E_RECEIPT_TIMEDOUT Receipt timed out: no RECEIPT for SEND \\(receipt \"R_session-1\\.\\d+\"\\) from {first}:1 within 2 s\\.$"));
        Assert.That(sendAnswers, Is.EqualTo(new[] { "ok" }));
        Assert.That(subscribeAnswers, Is.EqualTo(new[] { "ok", "ok" }), "the subscription was confirmed again on the next node");
        Assert.That(_server.Node(next, 1).Connection.ReceivedBy("SEND").Single().Body, Is.EqualTo("hello"));
        _server.Node(next, 1).Connection.PushMessage("/queue/a", "after");
        _loop.Advance(0.2);
        Assert.That(delivered, Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public void A_SUBSCRIBE_whose_receipt_never_comes_is_made_on_the_next_node()
    {
        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => { });
        _loop.Advance(1);
        var first = _cluster.ActiveNode.Host;
        _frozen.Add(first);
        var answers = new List<string>();
        _cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, err) => answers.Add(err?.Message ?? "ok") }, _ => { });

        _loop.Advance(2.5);

        Assert.That(_cluster.ActiveNode.Host, Is.Not.EqualTo(first));
        Assert.That(answers, Is.EqualTo(new[] { "ok" }));
        Assert.That(_server.Node(_cluster.ActiveNode.Host, 1).Connection.Subscriptions.Keys, Is.EqualTo(new[] { "s1" }));
        // Once for the node, once for the command: both the timeout itself.
        Assert.That(_trace, Has.Count.EqualTo(2).And.All.StartWith($"on_node_error {first}: E_RECEIPT_TIMEDOUT Receipt timed out: no RECEIPT for SUBSCRIBE"));
    }

    [Test]
    public void A_node_that_accepts_connections_but_never_answers_CONNECT_is_left_after_the_receipt_timeout_without_a_connection_timeout()
    {
        var first = _cluster.ActiveNode.Host;
        _frozen.Add(first);
        var answers = new List<string>();
        _cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, err) => answers.Add(err?.Message ?? "ok") }, _ => { });

        _loop.Advance(1.9);
        Assert.That(answers, Is.Empty);
        _loop.Advance(0.5);

        Assert.That(answers, Is.EqualTo(new[] { "ok" }));
        Assert.That(_trace, Has.Count.EqualTo(2).And.All.EqualTo(
            $"on_node_error {first}: E_RECEIPT_TIMEDOUT Receipt timed out: SUBSCRIBE was still waiting for the session with {first}:1 after 2 s, and was never sent."));
        Assert.That(_server.Node(first, 1).Connection.ReceivedBy("SUBSCRIBE"), Is.Empty);
    }

    [Test]
    public void A_SEND_every_node_holds_is_answered_once_with_E_RECEIPT_TIMEDOUT_after_each_node_had_its_timeout()
    {
        _frozen.UnionWith(["a", "b", "c"]);
        var answers = new List<StompError?>();
        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, err) => answers.Add(err));

        _loop.Advance(5.8);
        Assert.That(answers, Is.Empty, "three nodes, two seconds each");
        _loop.Advance(0.5);
        _loop.Advance(10);

        Assert.That(answers, Has.Count.EqualTo(1));
        Assert.That(answers[0]!.Code, Is.EqualTo(E_RECEIPT_TIMEDOUT));
        Assert.That(_trace.Select(t => t.Split(':')[0]).Distinct(), Is.EquivalentTo(new[] { "on_node_error a", "on_node_error b", "on_node_error c" }));
    }

    [Test]
    public void The_cluster_hands_its_receipt_timeout_to_every_node_and_a_commands_own_goes_with_the_command()
    {
        var nodes = new MockNodes(3, configure: o => o.MockNodesWith(new ClusterOptions { ReceiptTimeout = TimeSpan.FromSeconds(7) }));
        Assert.That(nodes.Nodes.Select(n => n.Options.ReceiptTimeout), Is.All.EqualTo(TimeSpan.FromSeconds(7)));

        var first = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", ReceiptTimeout = TimeSpan.FromSeconds(1) }, (_, _) => { });
        first.Fail(new StompError("Receipt timed out: ...", E_RECEIPT_TIMEDOUT));

        Assert.That(first.Commands, Is.Empty);
        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(nodes.Active.Commands.Single().Params.ReceiptTimeout, Is.EqualTo(TimeSpan.FromSeconds(1)), "the retry keeps the command's own timeout");
    }

    [Test]
    public void A_cluster_disposed_from_on_node_error_of_a_receipt_timeout_answers_the_SEND_once_and_sends_it_nowhere_else()
    {
        StomperCluster? cluster = null;
        cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 1)],
            Loop = _loop,
            Transport = _server.Transport,
            ReceiptTimeout = TimeSpan.FromSeconds(1),
            OnNodeError = (_, _, _) => cluster!.Dispose(),
        });
        _frozen.UnionWith(["a", "b"]);
        var answers = new List<StompError?>();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, err) => answers.Add(err));

        _loop.Advance(5);

        Assert.That(answers.Select(e => e?.Code), Is.EqualTo(new ErrorCode?[] { E_CONN_CLOSED_BY_CLIENT }));
        Assert.That(answers[0]!.Message, Is.EqualTo("Operation \"SEND\" aborted: Client object destroyed prematurely."));
        Assert.That(_server.Connections, Has.Count.EqualTo(1), "no second node was tried");
    }
}
