using NUnit.Framework;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

[TestFixture]
public sealed class ClusterFailoverTests
{
    private static readonly StompError Refused = new("Can't connect to node:1: Connection refused", E_CANT_CONN);

    [Test]
    public void The_constructor_refuses_missing_malformed_and_empty_node_lists()
    {
        Assert.That(() => new StomperCluster(new ClusterOptions()), Throws.ArgumentException.With.Message.EqualTo("Nodes not specified"));
        Assert.That(() => new StomperCluster(new ClusterOptions { Nodes = [null!] }), Throws.ArgumentException.With.Message.EqualTo("Nodes must be specified as array reference"));
        Assert.That(() => new StomperCluster(new ClusterOptions { Nodes = [] }), Throws.ArgumentException.With.Message.EqualTo("Specified empty list of nodes"));
    }

    [Test]
    public void One_lazy_client_is_made_per_distinct_node_with_the_shared_options()
    {
        var nodes = new MockNodes(3, configure: o => new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 2), new("a", 1)],
            Login = "guest", Passcode = "pw", Vhost = "/", Heartbeat = [5000, 5000], ConnectionTimeout = 5, ReconnectInterval = 2,
            Random = o.Random, Loop = o.Loop, NodeFactory = o.NodeFactory,
        });

        Assert.That(nodes.Nodes.Select(n => $"{n.Options.Host}:{n.Options.Port}"), Is.EqualTo(new[] { "a:1", "b:2" }));
        Assert.That(nodes.Nodes.All(n => n.Options.Lazy && n.Options.Login == "guest" && n.Options.Passcode == "pw"
            && n.Options.Vhost == "/" && n.Options.Heartbeat![0] == 5000 && n.Options.ConnectionTimeout == 5 && n.Options.ReconnectInterval == 2), Is.True);
        Assert.That(nodes.Cluster.Nodes(), Has.Count.EqualTo(2));
    }

    [Test]
    public void The_first_active_node_is_drawn_from_the_random_source()
    {
        var picked = Enumerable.Range(0, 30).Select(seed => new MockNodes(3, seed).Active.Host).Distinct().Order().ToList();

        Assert.That(picked, Is.EqualTo(new[] { "node1", "node2", "node3" }));
    }

    [Test]
    public void Every_command_goes_to_the_active_node()
    {
        var nodes = new MockNodes(3);
        var active = nodes.Active;

        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        nodes.Cluster.Begin(new() { ["transaction"] = "t" });

        Assert.That(active.Commands.Select(c => c.Name), Is.EqualTo(new[] { "SEND", "BEGIN" }));
        Assert.That(nodes.Nodes.Except([active]).All(n => n.Commands.Count == 0), Is.True);
    }

    [Test]
    public void A_node_failure_makes_the_next_node_active_wrapping_round()
    {
        var nodes = new MockNodes(3);
        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            order.Add(nodes.Active.Host);
            nodes.Active.Options.OnError!(Refused);
        }

        var first = int.Parse(order[0][4..], System.Globalization.CultureInfo.InvariantCulture);
        var expected = Enumerable.Range(0, 4).Select(i => $"node{((first - 1 + i) % 3) + 1}");
        Assert.That(order, Is.EqualTo(expected));
    }

    [TestCase(E_OPRN_ERROR)]
    [TestCase(E_CONN_CLOSED_BY_CLIENT)]
    public void Operation_errors_and_closes_by_the_client_do_not_fail_over(ErrorCode code)
    {
        var nodes = new MockNodes(3);
        var active = nodes.Active;

        active.Options.OnError!(new StompError("no", code));

        Assert.That(nodes.Active, Is.SameAs(active));
    }

    [Test]
    public void A_SEND_that_fails_with_its_node_runs_again_on_the_next_node_and_reports_the_node_error_first()
    {
        var nodes = new MockNodes(3);
        var first = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, nodes.Record("send"));

        first.Fail(Refused);
        var second = nodes.Active;
        second.Commands.Single().Callback!(new Frame("RECEIPT"), null);

        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(nodes.Trace, Is.EqualTo(new[]
        {
            $"on_node_error {first.Host}: {Refused.Message}",
            $"on_node_error {first.Host}: Operation \"SEND\" aborted: {Refused.Message}",
            "send: ok",
        }));
    }

    [Test]
    public void A_command_fails_for_good_once_every_node_has_failed_it()
    {
        var nodes = new MockNodes(3);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        for (var i = 0; i < 3; i++)
        {
            nodes.Active.Fail(Refused);
        }

        Assert.That(nodes.Trace.Count(t => t.StartsWith("send:", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(nodes.Trace[^1], Is.EqualTo($"send: Operation \"SEND\" aborted: {Refused.Message}"));
        Assert.That(nodes.Nodes.Sum(n => n.Commands.Count), Is.Zero, "no attempt left running");
    }

    [TestCase("UNSUBSCRIBE")]
    [TestCase("COMMIT")]
    [TestCase("ABORT")]
    [TestCase("DISCONNECT")]
    public void Commands_other_than_SEND_SUBSCRIBE_and_BEGIN_are_not_repeated(string command)
    {
        var nodes = new MockNodes(3);
        nodes.Cluster.Execute(command, new() { ["id"] = "x", ["transaction"] = "t" }, nodes.Record(command));

        nodes.Active.Fail(Refused);

        Assert.That(nodes.Trace[^1], Is.EqualTo($"{command}: Operation \"{command}\" aborted: {Refused.Message}"));
        Assert.That(nodes.Nodes.Sum(n => n.Commands.Count), Is.Zero);
    }

    [Test]
    public void An_operation_error_is_not_repeated_and_reaches_the_command_callback()
    {
        var nodes = new MockNodes(3);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        nodes.Active.Commands.Single().Callback!(null, new StompError("access refused", E_OPRN_ERROR));

        Assert.That(nodes.Trace[^1], Is.EqualTo("send: access refused"));
        Assert.That(nodes.Nodes.Sum(n => n.Commands.Count), Is.EqualTo(1));
    }

    [Test]
    public void A_command_error_without_a_callback_reaches_on_error_and_a_commands_own_on_node_error_wins()
    {
        var nodes = new MockNodes(1);
        var own = new List<string>();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", OnNodeError = (err, host, _) => own.Add($"{host}: {err.Message}") });

        nodes.Active.Commands.Single().Callback!(null, new StompError("refused", E_OPRN_ERROR));

        Assert.That(own, Is.EqualTo(new[] { "node1: refused" }));
        Assert.That(nodes.Trace, Is.EqualTo(new[] { "on_error: refused" }));
    }

    [Test]
    public void A_subscription_lost_with_its_node_comes_back_on_the_next_and_its_receipt_callback_runs_again()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = nodes.Record("subscribe") }, _ => { });
        first.Commands.Single().Callback!(new Frame("RECEIPT"), null);
        var lost = new StompError("Subscription \"s1\" lost: Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST);

        first.Options.OnError!(new StompError("Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST));
        first.Commands.Single().Callback!(null, lost);
        var second = nodes.Active;
        second.Commands.Single().Callback!(new Frame("RECEIPT"), null);

        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second.Commands.Single().Params["id"], Is.EqualTo("s1"));
        Assert.That(nodes.Trace.Where(t => t.StartsWith("subscribe", StringComparison.Ordinal)), Is.EqualTo(new[] { "subscribe: ok", "subscribe: ok" }));
    }

    [Test]
    public void A_subscription_whose_UNSUBSCRIBE_is_pending_when_its_node_dies_is_not_made_again_on_the_next_node()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = nodes.Record("subscribe") }, _ => { });
        first.Commands.Single().Callback!(new Frame("RECEIPT"), null);
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" }, nodes.Record("unsubscribe"));
        var subscribe = first.Commands[0];
        var unsubscribe = first.Commands[1];

        first.Options.OnError!(new StompError("Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST));
        subscribe.Callback!(null, new StompError("Subscription \"s1\" lost: Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST));
        unsubscribe.Callback!(null, new StompError("Operation \"UNSUBSCRIBE\" aborted: Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST));

        Assert.That(nodes.Active.Commands, Is.Empty, "no SUBSCRIBE made again");
        Assert.That(nodes.Trace.Where(t => !t.StartsWith("on_node_error", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "subscribe: ok",
            "subscribe: Subscription \"s1\" lost: Connection closed by remote host.",
            "unsubscribe: Operation \"UNSUBSCRIBE\" aborted: Connection closed by remote host.",
        }));
    }

    [Test]
    public void After_an_UNSUBSCRIBE_succeeds_a_new_subscription_with_the_same_id_follows_failover_again()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        first.Commands[0].Callback!(new Frame("RECEIPT"), null);
        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" });
        first.Commands[1].Callback!(new Frame("RECEIPT"), null);
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        first.Commands[2].Callback!(new Frame("RECEIPT"), null);

        first.Options.OnError!(new StompError("Read timed out.", E_READ_TIMEDOUT));
        first.Commands[2].Callback!(null, new StompError("Subscription \"s1\" lost: Read timed out.", E_READ_TIMEDOUT));

        Assert.That(nodes.Active.Commands.Single().Name, Is.EqualTo("SUBSCRIBE"));
    }

    [Test]
    public void ACK_and_NACK_go_to_the_node_that_delivered_the_message_while_its_connection_lasts()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        Frame? delivered = null;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client" }, m => delivered = m);
        first.Commands.Single().Params.OnMessage!(Message());

        // The active node moves on while the delivering connection is still up.
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        first.Commands[1].Callback!(null, new StompError("Connection reset by peer", E_IO));
        nodes.Cluster.Ack(new() { Message = delivered });
        nodes.Cluster.Nack(new() { Message = delivered });

        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(first.Commands.Skip(2).Select(c => c.Name), Is.EqualTo(new[] { "ACK", "NACK" }));
    }

    [Test]
    public void An_ACK_of_a_message_whose_connection_has_ended_fails_at_once_without_reaching_any_node()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        Frame? delivered = null;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client" }, m => delivered = m);
        first.Receipt(0);
        first.Commands[0].Params.OnMessage!(Message());
        first.Break(new StompError("Read timed out.", E_READ_TIMEDOUT), lost: [0], aborted: []);
        var codes = new List<ErrorCode>();

        nodes.Cluster.Ack(new() { Message = delivered }, (receipt, err) =>
        {
            codes.Add(err!.Code);
            nodes.Record("ack")(receipt, err);
        });
        Assert.That(codes, Is.Empty, "answered after the caller's callback, as a node client answers an ACK it will not send");
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(codes, Is.EqualTo(new[] { E_OPRN_ERROR }));
        Assert.That(nodes.Trace[^1], Is.EqualTo($"ack: ACK not sent: the connection to {first.Host}:{first.Options.Port} that delivered the message is closed; the server will redeliver it."));
        Assert.That(nodes.Nodes.SelectMany(n => n.Commands).Select(c => c.Name), Is.EqualTo(new[] { "SUBSCRIBE", "SUBSCRIBE" }));
    }

    private static Frame Message() => new("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "m1")));

    [Test]
    public void The_cluster_stays_usable_after_force_disconnect()
    {
        var nodes = new MockNodes(2);

        nodes.Cluster.ForceDisconnect();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });

        nodes.Nodes.ForEach(n => n.Mock.Verify(m => m.ForceDisconnect(), Moq.Times.Once));
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(1));
    }

    [Test]
    public void Node_connect_and_disconnect_are_reported_with_host_and_port()
    {
        var seen = new List<string>();
        var nodes = new MockNodes(1, configure: o => o.MockNodesWith(new()
        {
            OnNodeConnect = (host, port) => seen.Add($"connect {host}:{port}"),
            OnNodeDisconnect = (host, port) => seen.Add($"disconnect {host}:{port}"),
        }));

        nodes.Nodes[0].Options.OnConnect!();
        nodes.Nodes[0].Options.OnDisconnect!();

        Assert.That(seen, Is.EqualTo(new[] { "connect node1:61613", "disconnect node1:61613" }));
    }

    [Test]
    public void On_error_is_read_write_and_null_restores_the_default()
    {
        var nodes = new MockNodes(1);
        Action<StompError> mine = _ => { };

        nodes.Cluster.OnError = mine;
        Assert.That(nodes.Cluster.OnError, Is.SameAs(mine));
        nodes.Cluster.OnError = null;
        Assert.That(nodes.Cluster.OnError, Is.Not.Null.And.Not.SameAs(mine));
    }

    [Test]
    public void A_SEND_run_again_on_the_next_node_carries_the_headers_and_body_of_its_call()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        var template = new CommandParams { ["destination"] = "/queue/a", ["x-seq"] = "1", Body = "msg 1" };
        nodes.Cluster.Send(template, nodes.Record("send"));
        template["x-seq"] = "2";
        template.Body = "msg 2";

        first.Fail(Refused);

        var again = nodes.Active.Commands.Single().Params;
        Assert.That((again["x-seq"], again.Body), Is.EqualTo(("1", "msg 1")));
    }

    [Test]
    public void A_subscription_made_again_on_the_next_node_carries_the_headers_of_its_call()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        var template = new CommandParams { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client", OnMessage = _ => { } };
        nodes.Cluster.Subscribe(template);
        first.Receipt(0);
        template["ack"] = "auto";

        first.Break(new StompError("Connection reset by peer", E_IO), lost: [0], aborted: []);

        Assert.That(nodes.Active.Commands.Single().Params["ack"], Is.EqualTo("client"));
    }
}
