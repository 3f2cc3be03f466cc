using NUnit.Framework;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>force_disconnect and Dispose, above all from inside the cluster's own callbacks.</summary>
[TestFixture]
public sealed class ClusterLifecycleTests
{
    private const string ClosedByClient = "Connection closed by client prematurely.";
    private static readonly StompError Refused = new("Can't connect to node:1: Connection refused", E_CANT_CONN);

    /// <summary>A cluster whose on_node_error also does <paramref name="react"/> to the cluster.</summary>
    private static MockNodes Reacting(Action<StomperCluster> react, int count = 3)
    {
        StomperCluster? cluster = null;
        var nodes = new MockNodes(count, configure: o => o.MockNodesWith(new()
        {
            OnError = o.OnError,
            OnNodeError = (err, host, port) =>
            {
                o.OnNodeError!(err, host, port);
                react(cluster!);
            },
        }));
        cluster = nodes.Cluster;
        return nodes;
    }

    [Test]
    public void Force_disconnect_from_on_node_error_aborts_every_failed_command_once_instead_of_sending_it_to_the_next_node()
    {
        var nodes = Reacting(cluster => cluster.ForceDisconnect());
        var first = nodes.Active;
        var codes = new List<ErrorCode>();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, err) => codes.Add(err!.Code));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b" }, nodes.Record("second"));

        first.Fail(Refused);

        Assert.That(codes, Is.EqualTo(new[] { E_CONN_CLOSED_BY_CLIENT }));
        Assert.That(nodes.Trace.Where(t => !t.StartsWith("on_node_error", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            $"second: Operation \"SEND\" aborted: {ClosedByClient}",
        }));
        Assert.That(nodes.Nodes.Sum(n => n.Commands.Count), Is.Zero, "nothing went to another node");
    }

    [Test]
    public void Force_disconnect_from_a_commands_own_on_node_error_aborts_it_once_and_the_next_command_connects_again()
    {
        var nodes = new MockNodes(3);
        var first = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", OnNodeError = (_, _, _) => nodes.Cluster.ForceDisconnect() }, nodes.Record("send"));

        first.Fail(Refused);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });

        Assert.That(nodes.Trace.Where(t => t.StartsWith("send", StringComparison.Ordinal)), Is.EqualTo(new[] { $"send: Operation \"SEND\" aborted: {ClosedByClient}" }));
        Assert.That(nodes.Active, Is.Not.SameAs(first));
        Assert.That(nodes.Active.Commands.Single().Params["destination"], Is.EqualTo("/queue/a"), "only the new SEND");
    }

    [Test]
    public void Force_disconnect_called_again_while_it_runs_also_ends_what_was_issued_in_between()
    {
        var nodes = new MockNodes(2);
        var first = nodes.Active;
        var second = nodes.Nodes.Single(n => n != first);
        first.Mock.Setup(n => n.ForceDisconnect()).Callback(() => first.AbortAll(new StompError(ClosedByClient, E_CONN_CLOSED_BY_CLIENT)));
        second.Mock.Setup(n => n.ForceDisconnect()).Callback(() => second.Options.OnDisconnect!());
        var again = true;
        nodes.Cluster.OnNodeDisconnect = (_, _) =>
        {
            if (again)
            {
                again = false;
                nodes.Cluster.ForceDisconnect();
            }
        };
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (receipt, err) =>
        {
            nodes.Record("before")(receipt, err);
            nodes.Cluster.Send(new() { ["destination"] = "/queue/b" }, nodes.Record("in between"));
        });

        nodes.Cluster.ForceDisconnect();

        Assert.That(nodes.Trace.Where(t => !t.StartsWith("on_node_error", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            $"before: Operation \"SEND\" aborted: {ClosedByClient}",
            $"in between: Operation \"SEND\" aborted: {ClosedByClient}",
        }));
        Assert.That(first.Commands, Is.Empty);
    }

    [Test]
    public void A_command_issued_inside_the_clusters_on_node_error_goes_to_the_next_node()
    {
        var alerted = false;
        var nodes = Reacting(cluster =>
        {
            if (!alerted)
            {
                alerted = true;
                cluster.Send(new() { ["destination"] = "/queue/alerts" });
            }
        });
        var first = nodes.Active;

        first.Options.OnError!(Refused);

        Assert.That(first.Commands, Is.Empty);
        Assert.That(nodes.Active.Commands.Single().Params["destination"], Is.EqualTo("/queue/alerts"));
    }

    [Test]
    public void A_command_issued_inside_a_commands_on_node_error_goes_to_the_next_node()
    {
        var nodes = new MockNodes(3);
        var first = nodes.Active;
        nodes.Cluster.Send(new()
        {
            ["destination"] = "/queue/a",
            OnNodeError = (_, _, _) => nodes.Cluster.Send(new() { ["destination"] = "/queue/alerts" }),
        });

        // The command hears of the failure before (or without) its node's own report.
        first.Commands.Single().Callback!(null, new StompError("Connection reset by peer", E_IO));

        Assert.That(first.Commands.Select(c => c.Params["destination"]), Is.EqualTo(new[] { "/queue/a" }));
        Assert.That(nodes.Active.Commands.Select(c => c.Params["destination"]), Is.EqualTo(new[] { "/queue/alerts", "/queue/a" }));
    }

    [Test]
    public void Dispose_inside_on_node_error_answers_each_pending_command_once_and_throws_nothing()
    {
        var nodes = Reacting(cluster => cluster.Dispose());
        var first = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b" }, nodes.Record("other"));

        Assert.DoesNotThrow(() => first.Fail(Refused));

        Assert.That(nodes.Trace, Is.EqualTo(new[]
        {
            $"on_node_error {first.Host}: {Refused.Message}",
            "send: Operation \"SEND\" aborted: Client object destroyed prematurely.",
            "other: Operation \"SEND\" aborted: Client object destroyed prematurely.",
        }));
        Assert.That(nodes.Nodes.All(n => n.Disposed), Is.True);
    }

    [Test]
    public void Dispose_answers_every_pending_command_in_issue_order_with_E_CONN_CLOSED_BY_CLIENT()
    {
        var nodes = new MockNodes(2);
        var codes = new List<ErrorCode>();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, err) => codes.Add(err!.Code));
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = nodes.Record("subscribe") }, _ => { });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b" });

        nodes.Cluster.Dispose();

        Assert.That(codes, Is.EqualTo(new[] { E_CONN_CLOSED_BY_CLIENT }));
        Assert.That(nodes.Trace, Is.EqualTo(new[]
        {
            "subscribe: Operation \"SUBSCRIBE\" aborted: Client object destroyed prematurely.",
            "on_error: Operation \"SEND\" aborted: Client object destroyed prematurely.",
        }));
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
        nodes.Nodes.ForEach(n => n.Mock.Verify(m => m.ForceDisconnect(), Moq.Times.Once, "closed first, so the node has nothing to warn about"));
    }

    [Test]
    public void After_dispose_commands_throw_and_whatever_the_nodes_still_report_is_dropped()
    {
        var seen = new List<string>();
        var nodes = new MockNodes(2, configure: o => o.MockNodesWith(new()
        {
            OnError = o.OnError, OnNodeError = o.OnNodeError,
            OnNodeConnect = (host, _) => seen.Add("connect " + host),
            OnNodeDisconnect = (host, _) => seen.Add("disconnect " + host),
        }));
        var first = nodes.Active;
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = nodes.Record("subscribe") }, m => seen.Add("message"));
        first.Receipt(0);
        var (_, subscribe, callback) = first.Commands[0];

        nodes.Cluster.Dispose();
        first.Options.OnConnect!();
        subscribe.OnMessage!(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"))));
        first.Options.OnError!(Refused);
        callback!(null, new StompError("Subscription \"s1\" lost: Connection refused", E_CANT_CONN));
        first.Options.OnDisconnect!();
        nodes.Cluster.Dispose();

        Assert.That(() => nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(seen, Is.Empty);
        Assert.That(nodes.Trace, Is.EqualTo(new[] { "subscribe: ok" }));
        Assert.That(nodes.Nodes.All(n => n.Commands.Count <= 1), Is.True);
    }

    [Test]
    public void A_node_whose_port_no_socket_can_use_is_refused_by_the_constructor([Values(0, -1, 65536)] int port)
    {
        var options = new ClusterOptions
        {
            Nodes = [new("good", 61613), new("bad", port)],
            Loop = new global::EventLoop.Loop(new global::EventLoop.FakeClock()),
        };

        Assert.That(() => new StomperCluster(options), Throws.ArgumentException.With.Message.EqualTo($"Node \"bad:{port}\" has an invalid port: it must be from 1 to 65535"));
    }
}
