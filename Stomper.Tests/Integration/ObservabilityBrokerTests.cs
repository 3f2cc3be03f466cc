using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Stomper.Cluster;
using Stomper.Tests.Diagnostics;

namespace Stomper.Tests.Integration;

/// <summary>
/// Issue 13 on the real brokers: a trace begun by a publisher in another process goes on
/// in the consumer here, through RabbitMQ and through ActiveMQ; and a real failover (kill -9
/// of the active RabbitMQ node) shows in the logs, the metrics and the spans.
/// </summary>
public sealed partial class ObservabilityBrokerTests : BrokerFixture
{
    private static Endpoint Broker(string name) => name == "rabbitmq" ? Brokers.Rabbit(1) : Brokers.ActiveMq;

    [TestCase("rabbitmq")]
    [TestCase("activemq")]
    public void A_trace_begun_by_a_publisher_in_another_process_goes_on_in_the_consumer(string broker)
    {
        var node = Broker(broker);
        var destination = $"/queue/stomper-obs-{Guid.NewGuid():N}";
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(StomperDiagnostics.ActivitySourceName).AddInMemoryExporter(exported).Build();
        using var consumer = Client(node);
        var delivered = Loop.Cv();
        Subscribed(consumer, new() { ["id"] = "obs", ["destination"] = destination, OnMessage = m => delivered.Send(m) });

        var (exit, output) = ChildProcess.Run("publish-traced", $"STOMPER_OBS_TARGET={node} STOMPER_OBS_DESTINATION={destination}");
        Assert.That(exit, Is.Zero, output);
        var message = (Frame)Wait(delivered)[0]!;
        tracing.ForceFlush();

        var published = PublishedLine().Match(output);
        Assert.That(published.Success, Is.True, output);
        Assert.That(published.Groups["system"].Value, Is.EqualTo(broker));
        Assert.That(published.Groups["name"].Value, Is.EqualTo("send " + destination));
        Assert.That(message.Headers["traceparent"], Does.StartWith($"00-{published.Groups["trace"].Value}-{published.Groups["send"].Value}-"), "the header survived the broker");
        var process = exported.Single(a => a.DisplayName == "process " + destination);
        Assert.That(process.TraceId.ToString(), Is.EqualTo(published.Groups["trace"].Value), "one trace across the two processes");
        Assert.That(process.ParentSpanId.ToString(), Is.EqualTo(published.Groups["send"].Value));
        Assert.That(process.Links.Single().Context.SpanId.ToString(), Is.EqualTo(published.Groups["send"].Value));
        Assert.That(process.GetTagItem("messaging.system"), Is.EqualTo(broker));
        Assert.That(process.GetTagItem("messaging.message.id"), Is.EqualTo(message.Headers["message-id"]));
        TestContext.Out.WriteLine(output);
        TestContext.Out.WriteLine($"consumer: {process.DisplayName} trace {process.TraceId} parent {process.ParentSpanId}");
    }

    [Test]
    public void Killing_the_active_RabbitMQ_node_shows_in_logs_metrics_and_spans()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var failovers = capture.Collect<long>("stomper.cluster.failovers");
        var connects = capture.Collect<long>("stomper.client.connects");
        var sent = capture.Collect<long>("messaging.client.sent.messages");
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(StomperDiagnostics.ActivitySourceName).AddInMemoryExporter(exported).Build();
        var nodes = Brokers.RabbitNodes;
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [.. nodes.Select(n => new ClusterNode(n.Host, n.Port))],
            Login = Brokers.Login,
            Passcode = Brokers.Passcode,
            ConnectionTimeout = 5,
            ReconnectInterval = 0.5,
            Loop = Loop,
            Random = new Random(7),
            LoggerFactory = capture.LoggerFactory,
            MeterFactory = capture.MeterFactory,
            OnNodeError = (_, _, _) => { },
            OnError = _ => { },
        });
        var victimPort = cluster.ActiveNode.Port;
        var victim = "rabbit" + (nodes.ToList().FindIndex(n => n.Port == victimPort) + 1);
        const string Destination = "/topic/stomper-obs-failover";
        Receipted(cluster, Destination, "before");

        try
        {
            Brokers.Kill(victim);
            Receipted(cluster, Destination, "after", seconds: 60);
        }
        finally
        {
            Brokers.Restart(victim);
        }

        var lines = capture.LogLines;
        TestContext.Out.WriteLine(string.Join("\n", capture.Logs.Select(l => $"{l.Level,-11} {l.Category}[{l.Id.Id}] {l.Message}")));
        Assert.That(lines, Has.Some.Match($"^1006 Warning: Connection to 127.0.0.1:{victimPort} lost"));
        Assert.That(lines, Has.Some.Match($"^2001 Warning: Failover: node 127.0.0.1:{victimPort} failed"));
        Assert.That(lines.Count(l => l.StartsWith("1003 Information: Connected to", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(2));
        Assert.That(failovers.GetMeasurementSnapshot().Sum(m => m.Value), Is.GreaterThanOrEqualTo(1));
        Assert.That(failovers.GetMeasurementSnapshot()[0].Tags["server.port"], Is.EqualTo(victimPort));
        Assert.That(connects.GetMeasurementSnapshot().Sum(m => m.Value), Is.GreaterThanOrEqualTo(2));
        Assert.That(sent.GetMeasurementSnapshot().Select(m => m.Tags["server.port"]).Distinct().Count(), Is.EqualTo(2), "SENDs counted on the dead node and on the next");
        tracing.ForceFlush();
        var sends = exported.Where(a => a.DisplayName == "send " + Destination).ToList();
        Assert.That(sends.First().GetTagItem("server.port"), Is.EqualTo(victimPort));
        Assert.That(sends.Last().GetTagItem("server.port"), Is.Not.EqualTo(victimPort), "the SEND after the failover went to another node");
        Assert.That(sends.All(s => (string?)s.GetTagItem("messaging.system") == "rabbitmq"), Is.True);
    }

    /// <summary>A receipted SEND through the cluster, waited for.</summary>
    private void Receipted(StomperCluster cluster, string destination, string body, double seconds = 20)
    {
        var cv = Loop.Cv();
        cluster.Send(new() { ["destination"] = destination, ["receipt"] = "auto", Body = body }, (_, err) => cv.Send(err?.Message));
        Assert.That(Wait(cv, seconds)[0], Is.Null);
    }

    [GeneratedRegex(@"trace (?<trace>[0-9a-f]{32}) send (?<send>[0-9a-f]{16}) name (?<name>\S+ \S+) system (?<system>\S+)")]
    private static partial Regex PublishedLine();
}
