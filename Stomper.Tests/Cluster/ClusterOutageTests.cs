using NUnit.Framework;
using Stomper.Tests.Model;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>
/// A full outage with the reconnect policy, end to end: real node clients over the model's
/// in-memory brokers, on a fake clock.
/// </summary>
[TestFixture]
public sealed class ClusterOutageTests
{
    [Test]
    public void A_subscription_comes_back_within_two_seconds_of_a_node_returning_after_a_minute_long_outage_and_messages_flow()
    {
        using var model = new ModelCluster(seed: 3, reconnectPolicy: new ReconnectPolicy());
        var cluster = model.Cluster;
        var bodies = new List<string>();
        var answers = new List<string>();
        cluster.Subscribe(new CommandParams
        {
            ["id"] = "s1",
            ["destination"] = "/queue/a",
            OnMessage = m => bodies.Add(m.Body),
            OnReceipt = (_, err) => answers.Add(err?.Message ?? "receipt"),
        });
        model.Advance(0);
        Assert.That(answers, Is.EqualTo(new[] { "receipt" }));

        foreach (var broker in model.Network.Brokers)
        {
            broker.ConnectMode = ConnectMode.Refuse;
            broker.KillSessions();
        }

        model.Advance(60);
        Assert.That(answers, Is.EqualTo(new[] { "receipt" }), "no loss reported to the subscription: it waits");
        Assert.That(cluster.SubscriptionCount, Is.EqualTo(1));
        Assert.That(model.Network.Brokers.SelectMany(b => b.Sessions).Count(s => s.IsOpen), Is.Zero);

        var back = model.Network.Broker(ModelCluster.Ports[2]);
        back.Heal();
        var waited = 0.0;
        while (!back.LiveSubscriptions.Any() && waited < 10)
        {
            model.Advance(ModelCluster.Tick);
            waited += ModelCluster.Tick;
        }

        Assert.That(waited, Is.LessThanOrEqualTo(2.0), "made again on the node that came back, within the chaos suite's target");
        Assert.That(back.LiveSubscriptions.Select(s => s.Id), Is.EqualTo(new[] { "s1" }));
        Assert.That(answers, Is.EqualTo(new[] { "receipt", "receipt" }), "the SUBSCRIBE's callback hears the new RECEIPT");

        StompError? sendError = new("not answered", E_OPRN_ERROR);
        cluster.Send(new CommandParams { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "after the outage" }, (_, err) => sendError = err);
        model.Advance(1);

        Assert.That(sendError, Is.Null);
        Assert.That(bodies, Is.EqualTo(new[] { "after the outage" }));
    }

    [Test]
    public void A_SEND_issued_during_the_outage_waits_and_is_delivered_once_a_node_returns()
    {
        using var model = new ModelCluster(seed: 5, reconnectPolicy: new ReconnectPolicy());
        var cluster = model.Cluster;
        var bodies = new List<string>();
        cluster.Subscribe(new CommandParams { ["id"] = "s1", ["destination"] = "/queue/a", OnMessage = m => bodies.Add(m.Body) });
        model.Advance(0);
        foreach (var broker in model.Network.Brokers)
        {
            broker.ConnectMode = ConnectMode.Refuse;
            broker.KillSessions();
        }

        model.Advance(20);
        var answers = new List<string>();
        cluster.Send(new CommandParams { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "queued" }, (_, err) => answers.Add(err?.Message ?? "receipt"));
        model.Advance(20);
        Assert.That(answers, Is.Empty, "it waits");

        model.Network.Broker(ModelCluster.Ports[0]).Heal();
        model.Advance(4);

        Assert.That(answers, Is.EqualTo(new[] { "receipt" }));
        Assert.That(bodies, Is.EqualTo(new[] { "queued" }), "after the subscription, as issued");
    }
}
