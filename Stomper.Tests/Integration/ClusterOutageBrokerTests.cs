using System.Diagnostics;
using System.Globalization;
using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.Integration;

/// <summary>The reconnect policy (beyond the original) on the real three-node RabbitMQ cluster: every node down, then back.</summary>
public sealed class ClusterOutageBrokerTests : BrokerFixture
{
    [Test]
    public void After_every_node_is_killed_and_started_again_the_subscription_comes_back_by_itself_and_messages_flow()
    {
        var trace = new List<string>();
        var clock = Stopwatch.StartNew();
        string Now() => clock.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [.. Brokers.RabbitNodes.Select(n => new ClusterNode(n.Host, n.Port))],
            Login = Brokers.Login,
            Passcode = Brokers.Passcode,
            Heartbeat = [1000, 1000],
            ConnectionTimeout = 5,
            Loop = Loop,
            Random = new Random(11),
            ReconnectPolicy = new ReconnectPolicy(),
            OnNodeConnect = (_, port) => trace.Add($"{Now()} connect {port}"),
            OnNodeError = (err, _, port) => trace.Add($"{Now()} error {port}: {err.Message}"),
            OnError = err => trace.Add($"{Now()} on_error: {err.Message}"),
        });
        var topic = $"/topic/stomper-outage-{Guid.NewGuid():N}";
        var subscribed = Loop.Cv();
        var resubscribed = Loop.Cv();
        var received = Loop.Cv();
        var receipts = 0;
        double? backAt = null;
        cluster.Subscribe(new()
        {
            ["id"] = "outage",
            ["destination"] = topic,
            OnReceipt = (_, err) =>
            {
                trace.Add($"{Now()} subscribe: {err?.Message ?? "receipt"}");
                if (err is not null)
                {
                    subscribed.Croak(err.Message);
                    resubscribed.Croak(err.Message);
                }
                else if (++receipts == 1)
                {
                    subscribed.Send();
                }
                else
                {
                    backAt = clock.Elapsed.TotalSeconds;
                    resubscribed.Send();
                }
            },
            OnMessage = m => received.Send(m.Body),
        });
        Wait(subscribed, 30);

        // Off the loop's thread, so that the cluster lives through the outage as an
        // application would: all three nodes killed, left down, then started again.
        double? startReturnedAt = null;
        var outage = Task.Run(() =>
        {
            foreach (var node in new[] { "rabbit1", "rabbit2", "rabbit3" })
            {
                Brokers.Kill(node);
            }

            Thread.Sleep(TimeSpan.FromSeconds(10));
            Brokers.EnsureHealthy();
            startReturnedAt = clock.Elapsed.TotalSeconds;
        });
        try
        {
            Wait(resubscribed, 300);
        }
        catch (CondVarCroakedException e)
        {
            Assert.Fail($"{e.Message}\n{string.Join("\n", trace.Where(t => !t.Contains("aborted", StringComparison.Ordinal)).TakeLast(30))}");
        }
        finally
        {
            outage.Wait(TimeSpan.FromMinutes(6));
        }

        cluster.Send(new() { ["destination"] = topic, ["receipt"] = "auto", Body = "after the outage" });
        Assert.That(Wait(received, 30)[0], Is.EqualTo("after the outage"));
        TestContext.Out.WriteLine($"subscription back at {backAt:F3} s; brokers.sh start returned at {startReturnedAt:F3} s");
        TestContext.Out.WriteLine(string.Join("\n", trace.Where(t => !t.Contains("aborted", StringComparison.Ordinal)).TakeLast(20)));
    }
}
