using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;

namespace Stomper.Tests.Review;

/// <summary>
/// Fourth review: the late changes on main (a session-ending ERROR as a node failure for the
/// cluster) attacked with callbacks that dispose or re-enter, logins every node refuses with
/// a reconnect interval, and an ERROR during a failover's re-subscription.
/// </summary>
[TestFixture]
public sealed class FourthReviewTests
{
    private readonly List<string> _trace = [];
    private Loop _loop = null!;
    private ScriptedStompServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _trace.Clear();
        _loop = new Loop(new FakeClock());
        _server = new ScriptedStompServer();
    }

    [TearDown]
    public void TearDown() => _loop.Dispose();

    private StomperCluster Cluster(Action<StompError, string, int>? onNodeError = null, double? reconnect = null) => new(new ClusterOptions
    {
        Nodes = [new("a", 1), new("b", 1), new("c", 1)],
        Random = new Random(1),
        Loop = _loop,
        Transport = _server.Transport,
        ReconnectInterval = reconnect,
        OnNodeError = onNodeError ?? ((err, host, _) => _trace.Add($"on_node_error {host}: {err.Message}")),
        OnError = err => _trace.Add("on_error: " + err.Message),
    });

    private void RefuseLogins(Func<string?, bool> refuses) => _server.OnFrame = (connection, frame) =>
    {
        if (frame.Command is "CONNECT" or "STOMP" && refuses(connection.Node?.Host))
        {
            connection.PushError("Access refused to " + connection.Node?.Host);
            return true;
        }

        return false;
    };

    [Test]
    public void A_cluster_disposed_from_on_node_error_during_a_session_ending_ERROR_answers_the_pending_SEND_once_and_sends_it_nowhere_else()
    {
        StomperCluster? cluster = null;
        cluster = Cluster((err, host, _) =>
        {
            _trace.Add($"on_node_error {host}: {err.Message}");
            cluster!.Dispose();
        });
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => { });
        _loop.Advance(1);
        var first = cluster.ActiveNode.Host;
        _server.Receipts = ReceiptMode.Hold;
        var answers = new List<string>();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", ["body"] = "x" }, (_, err) => answers.Add(err?.Message ?? "ok"));
        _loop.Advance(1);

        Assert.DoesNotThrow(() =>
        {
            _server.Node(first, 1).Connection.PushError("Connection closed by the broker");
            _loop.Advance(1);
            _loop.Advance(5);
        });

        Assert.That(answers, Has.Count.LessThanOrEqualTo(1));
        Assert.That(_server.ReceivedBy("SEND"), Has.Count.EqualTo(2), "no node after the disposal gets the SEND");
        Assert.That(_server.Connections, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_subscription_every_node_refuses_the_login_for_with_a_reconnect_interval_tries_each_node_once_and_then_stops()
    {
        RefuseLogins(_ => true);
        using var cluster = Cluster(reconnect: 1);
        var answers = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, err) => answers.Add(err?.Message ?? "ok") }, _ => { });
        for (var i = 0; i < 30; i++)
        {
            _loop.Advance(1);
        }

        Assert.That(answers, Has.Count.EqualTo(1));
        Assert.That(answers[0], Does.Contain("Access refused"));
        Assert.That(_server.ReceivedBy("SUBSCRIBE"), Is.Empty);
        Assert.That(_server.Connections, Has.Count.EqualTo(3), "no node keeps logging in once the subscription is answered");
    }

    [Test]
    public void An_on_node_error_that_throws_during_a_session_ending_ERROR_still_moves_the_SEND_and_the_subscription_to_the_next_node()
    {
        var thrown = 0;
        using var cluster = Cluster((err, host, _) =>
        {
            _trace.Add($"on_node_error {host}: {err.Message}");
            if (thrown++ == 0)
            {
                throw new InvalidOperationException("user bug");
            }
        });
        var delivered = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, m => delivered.Add(m.Body));
        _loop.Advance(1);
        var first = cluster.ActiveNode.Host;
        _server.Receipts = ReceiptMode.Hold;
        var answers = new List<string>();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, err) => answers.Add(err?.Message ?? "ok"));
        _loop.Advance(1);
        _server.Receipts = ReceiptMode.Answer;

        _server.Node(first, 1).Connection.PushError("Connection closed by the broker");
        Assert.Throws<InvalidOperationException>(() => _loop.Advance(1));
        for (var i = 0; i < 3; i++)
        {
            _loop.Advance(1);
        }

        var next = _server.Node(cluster.ActiveNode.Host, 1).Connection;
        Assert.That(cluster.ActiveNode.Host, Is.Not.EqualTo(first));
        Assert.That(answers, Is.EqualTo(new[] { "ok" }));
        Assert.That(_server.ReceivedBy("SEND"), Has.Count.EqualTo(2));
        next.PushMessage("/queue/a", "after");
        _loop.Advance(1);
        Assert.That(delivered, Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public void A_session_ending_ERROR_during_a_failovers_resubscription_moves_the_subscription_on_to_the_third_node()
    {
        using var cluster = Cluster();
        var delivered = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, m => delivered.Add(m.Body));
        _loop.Advance(1);
        var first = cluster.ActiveNode.Host;
        string? second = null;
        _server.OnFrame = (connection, frame) =>
        {
            if (frame.Command == "SUBSCRIBE" && connection.Node?.Host != first && second is null)
            {
                second = connection.Node?.Host;
                connection.PushError("Channel closed");
                return true;
            }

            return false;
        };
        _server.Node(first, 1).Connection.PushError("Connection closed by the broker");
        _loop.Advance(1);
        _loop.Advance(1);

        var third = cluster.ActiveNode.Host;
        Assert.That(second, Is.Not.Null);
        Assert.That(third, Is.Not.EqualTo(first).And.Not.EqualTo(second));
        var connection = _server.Node(third, 1).Connection;
        Assert.That(connection.ReceivedBy("SUBSCRIBE"), Has.Count.EqualTo(1));
        connection.PushMessage("/queue/a", "after");
        _loop.Advance(1);
        Assert.That(delivered, Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public void A_SEND_issued_from_on_node_error_during_a_refused_login_goes_to_the_next_node_and_is_sent_once()
    {
        var refusing = new HashSet<string>();
        StomperCluster? cluster = null;
        var answers = new List<string>();
        cluster = Cluster((err, host, _) =>
        {
            _trace.Add($"on_node_error {host}");
            if (_trace.Count == 1)
            {
                cluster!.Send(new() { ["destination"] = "/queue/b", ["receipt"] = "auto" }, (_, e) => answers.Add(e?.Message ?? "ok"));
            }
        });
        using var owned = cluster;
        var refused = cluster.ActiveNode.Host;
        RefuseLogins(host => host == refused);
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => answers.Add(e?.Message ?? "ok"));
        _loop.Advance(1);
        _loop.Advance(1);

        Assert.That(answers, Is.EqualTo(new[] { "ok", "ok" }));
        Assert.That(_server.ReceivedBy("SEND"), Has.Count.EqualTo(2));
    }

    [Test]
    public void A_subscription_whose_SUBSCRIBE_every_node_ends_the_session_for_is_refused_and_a_healthy_subscription_beside_it_comes_back()
    {
        _server.OnFrame = (connection, frame) =>
        {
            if (frame.Command == "SUBSCRIBE" && frame.Headers["destination"] == "/queue/poison")
            {
                connection.PushError("Access refused to /queue/poison");
                return true;
            }

            return false;
        };
        using var cluster = Cluster();
        var delivered = new List<string>();
        var poisonAnswers = new List<string>();
        cluster.Subscribe(new() { ["id"] = "good", ["destination"] = "/queue/good" }, m => delivered.Add(m.Body));
        _loop.Advance(1);
        cluster.Subscribe(new() { ["id"] = "bad", ["destination"] = "/queue/poison", OnReceipt = (_, err) => poisonAnswers.Add(err?.Message ?? "ok") }, _ => { });
        for (var i = 0; i < 10; i++)
        {
            _loop.Advance(1);
        }

        Assert.That(poisonAnswers, Has.Count.EqualTo(1));
        Assert.That(poisonAnswers[0], Does.Contain("Access refused"));
        var active = _server.Node(cluster.ActiveNode.Host, cluster.ActiveNode.Port).Connection;
        active.PushMessage("/queue/good", "still here");
        _loop.Advance(1);
        Assert.That(delivered, Is.EqualTo(new[] { "still here" }));
        Assert.That(_server.Connections.Count, Is.LessThanOrEqualTo(6));
    }

    [Test]
    public void A_SEND_pending_on_a_node_client_the_user_disposes_through_ActiveNode_is_not_lost_without_a_word()
    {
        using var cluster = Cluster();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => { });
        _loop.Advance(1);
        _server.Receipts = ReceiptMode.Hold;
        var answers = new List<string>();
        cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, err) => answers.Add(err?.Message ?? "ok"));
        _loop.Advance(1);
        var warnings = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(warnings);
        try
        {
            cluster.ActiveNode.Dispose();
            _loop.Advance(1);
            _loop.Advance(1);
        }
        finally
        {
            Console.SetError(stderr);
        }

        Assert.That(answers.Count + (warnings.ToString().Contains("destroyed") ? 1 : 0), Is.EqualTo(1), "the SEND is answered, or at least warned about");
    }
}
