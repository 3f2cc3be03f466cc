using System.Diagnostics;
using NUnit.Framework;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Integration;

/// <summary>
/// The receipt timeout on the real RabbitMQ cluster: a SIGSTOPped node keeps its sockets
/// (the kernel still holds the connection) and answers nothing, and the cluster leaves it
/// after the receipt timeout instead of whenever the broker's peers notice.
/// </summary>
[TestFixture]
public sealed class ClusterReceiptTimeoutBrokerTests : BrokerFixture
{
    private const double ReceiptTimeout = 2;

    [Test]
    public void A_receipted_SEND_to_a_paused_node_times_out_and_is_confirmed_by_the_next_node_within_the_timeout()
    {
        var trace = new List<string>();
        var clock = Stopwatch.StartNew();
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [.. Brokers.RabbitNodes.Select(n => new ClusterNode(n.Host, n.Port))],
            Login = Brokers.Login,
            Passcode = Brokers.Passcode,
            ConnectionTimeout = 3,
            ReceiptTimeout = TimeSpan.FromSeconds(ReceiptTimeout),
            Loop = Loop,
            Random = new Random(3),
            OnNodeError = (err, _, port) => trace.Add($"{clock.Elapsed.TotalSeconds:F2} {port} {err.Code} {err.Message}"),
            OnError = err => trace.Add("on_error: " + err.Message),
        });
        var topic = $"/topic/stomper-receipt-timeout-{Guid.NewGuid():N}";
        var first = Loop.Cv();
        cluster.Send(new() { ["destination"] = topic, ["receipt"] = "auto", Body = "before" }, (_, err) => first.Send(err));
        Assert.That(Wait(first, 30)[0], Is.Null);
        var paused = "rabbit" + (Brokers.RabbitNodes.ToList().FindIndex(n => n.Port == cluster.ActiveNode.Port) + 1);

        try
        {
            Brokers.Pause(paused);
            var answered = Loop.Cv();
            var answers = 0;
            clock.Restart();
            cluster.Send(new() { ["destination"] = topic, ["receipt"] = "auto", Body = "during" }, (_, err) =>
            {
                answers++;
                answered.Send(err, clock.Elapsed.TotalSeconds);
            });
            var result = Wait(answered, 30);

            Assert.That(result[0], Is.Null, string.Join("\n", trace));
            Assert.That((double)result[1]!, Is.LessThan(ReceiptTimeout + 2), "confirmed by the next node soon after the timeout");
            Assert.That((double)result[1]!, Is.GreaterThanOrEqualTo(ReceiptTimeout), "the paused node held it for the whole timeout");
            Assert.That(trace[0], Does.Contain($"{E_RECEIPT_TIMEDOUT} Receipt timed out: no RECEIPT for SEND"));
            Assert.That("rabbit" + (Brokers.RabbitNodes.ToList().FindIndex(n => n.Port == cluster.ActiveNode.Port) + 1), Is.Not.EqualTo(paused));
            var settled = Loop.Cv();
            using (Loop.Timer(1, 0, () => settled.Send()))
            {
                Wait(settled);
            }

            Assert.That(answers, Is.EqualTo(1), "answered once, the paused node's late words included");
        }
        finally
        {
            Brokers.Resume(paused);
            Brokers.EnsureHealthy();
        }
    }
}
