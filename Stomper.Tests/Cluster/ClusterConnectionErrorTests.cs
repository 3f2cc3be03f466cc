using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>
/// An ERROR frame that answers no command ends the node's session (RabbitMQ sends one when
/// it closes connections, on channel death, and on a refused login): beyond the original,
/// the cluster counts it as a node failure, so it fails over, subscribes again and runs
/// the unanswered SENDs on the next node. Real node clients over a scripted server.
/// </summary>
[TestFixture]
public sealed class ClusterConnectionErrorTests
{
    private readonly List<string> _trace = [];
    private Loop _loop = null!;
    private ScriptedStompServer _server = null!;
    private StomperCluster _cluster = null!;

    [SetUp]
    public void SetUp()
    {
        _trace.Clear();
        _loop = new Loop(new FakeClock());
        _server = new ScriptedStompServer();
        _cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 1), new("c", 1)],
            Random = new Random(1),
            Loop = _loop,
            Transport = _server.Transport,
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
    public void An_ERROR_without_receipt_id_that_ends_the_session_fails_over_subscribes_again_and_runs_the_unanswered_SEND_once_on_the_next_node()
    {
        var delivered = new List<string>();
        var subscribeAnswers = new List<string>();
        _cluster.Subscribe(
            new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, err) => subscribeAnswers.Add(err?.Message ?? "ok") },
            m => delivered.Add(m.Body));
        _loop.Advance(1);
        var first = _cluster.ActiveNode.Host;
        _server.Receipts = ReceiptMode.Hold;
        var sendAnswers = new List<string>();
        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", ["body"] = "hello" }, (_, err) => sendAnswers.Add(err is null ? "ok" : $"{err.Code} {err.Message}"));
        _loop.Advance(1);
        Assert.That(_server.Node(first, 1).Connection.ReceivedBy("SEND"), Has.Count.EqualTo(1));

        _server.Receipts = ReceiptMode.Answer;
        _server.Node(first, 1).Connection.PushError("Connection closed by the broker");
        _loop.Advance(1);

        var second = _cluster.ActiveNode.Host;
        Assert.That(second, Is.Not.EqualTo(first));
        var next = _server.Node(second, 1).Connection;
        Assert.That(next.ReceivedBy("SUBSCRIBE").Select(f => f.Headers["destination"]), Is.EqualTo(new[] { "/queue/a" }));
        Assert.That(next.ReceivedBy("SEND").Select(f => f.Headers["destination"]), Is.EqualTo(new[] { "/queue/a" }));
        Assert.That(sendAnswers, Is.EqualTo(new[] { "ok" }));
        Assert.That(_trace, Does.Contain($"on_node_error {first}: {E_OPRN_ERROR} Connection closed by the broker"));

        next.PushMessage("/queue/a", "after");
        _loop.Advance(1);
        Assert.That(delivered, Is.EqualTo(new[] { "after" }));
        Assert.That(subscribeAnswers, Is.EqualTo(new[] { "ok", "ok" }), "the re-subscription is reported to the SUBSCRIBE's callback, as after any node failure");
    }

    [Test]
    public void A_refused_login_makes_the_next_node_active_and_the_command_runs_there()
    {
        var refusing = _cluster.ActiveNode.Host;
        _server.OnFrame = (connection, frame) =>
        {
            if (frame.Command is "CONNECT" or "STOMP" && connection.Node?.Host == refusing)
            {
                connection.PushError("Access refused");
                return true;
            }

            return false;
        };
        var answers = new List<string>();

        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", ["body"] = "x" }, (_, err) => answers.Add(err is null ? "ok" : err.Message));
        _loop.Advance(1);

        Assert.That(_cluster.ActiveNode.Host, Is.Not.EqualTo(refusing));
        Assert.That(answers, Is.EqualTo(new[] { "ok" }));
        Assert.That(_server.ReceivedBy("SEND"), Has.Count.EqualTo(1));
        Assert.That(_trace, Does.Contain($"on_node_error {refusing}: {E_OPRN_ERROR} Access refused"));
    }

    [Test]
    public void A_SEND_every_node_refuses_the_login_for_is_answered_once_with_the_last_refusal_after_trying_each_node()
    {
        _server.OnFrame = (connection, frame) =>
        {
            if (frame.Command is "CONNECT" or "STOMP")
            {
                connection.PushError("Access refused to " + connection.Node?.Host);
                return true;
            }

            return false;
        };
        var answers = new List<string>();

        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, err) => answers.Add(err is null ? "ok" : $"{err.Code} {err.Message}"));
        _loop.Advance(1);

        var tried = _server.Connections.Select(c => c.Node!.Host).ToArray();
        Assert.That(tried, Is.EquivalentTo(new[] { "a", "b", "c" }));
        Assert.That(answers, Is.EqualTo(new[] { $"{E_OPRN_ERROR} Operation \"SEND\" aborted: Access refused to {tried[^1]}" }));
        Assert.That(_server.ReceivedBy("SEND"), Is.Empty);
    }

    [Test]
    public void An_ERROR_that_answers_a_receipted_SEND_is_still_the_SENDs_own_error_and_does_not_fail_over()
    {
        _cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => { });
        _loop.Advance(1);
        var first = _cluster.ActiveNode.Host;
        _server.CloseAfterError = false;
        _server.Receipts = ReceiptMode.Error;
        var answers = new List<string>();

        _cluster.Send(new() { ["destination"] = "/queue/b", ["receipt"] = "auto" }, (_, err) => answers.Add(err is null ? "ok" : $"{err.Code}"));
        _loop.Advance(1);

        Assert.That(answers, Is.EqualTo(new[] { $"{E_OPRN_ERROR}" }));
        Assert.That(_cluster.ActiveNode.Host, Is.EqualTo(first));
        Assert.That(_server.ReceivedBy("SEND"), Has.Count.EqualTo(2));
    }
}
