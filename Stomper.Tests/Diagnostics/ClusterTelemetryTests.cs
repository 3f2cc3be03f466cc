using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Diagnostics;

/// <summary>What the cluster itself reports: failovers from node to node, retries, and work given up.</summary>
[TestFixture]
public sealed class ClusterTelemetryTests
{
    private static readonly StompError Reset = new("Connection reset by peer", E_IO);

    private static MockNodes Nodes(TelemetryCapture capture) => new(3, configure: o => new ClusterOptions
    {
        Nodes = o.Nodes, Random = o.Random, Loop = o.Loop, NodeFactory = o.NodeFactory, OnNodeError = o.OnNodeError, OnError = o.OnError,
        LoggerFactory = capture.LoggerFactory, MeterFactory = capture.MeterFactory,
    });

    [Test]
    public void The_cluster_hands_its_logger_and_meter_factories_to_every_node_client()
    {
        using var capture = new TelemetryCapture();
        var nodes = Nodes(capture);

        Assert.That(nodes.Nodes.Select(n => n.Options.LoggerFactory), Is.All.SameAs(capture.LoggerFactory));
        Assert.That(nodes.Nodes.Select(n => n.Options.MeterFactory), Is.All.SameAs(capture.MeterFactory));
    }

    [Test]
    public void A_failover_is_logged_from_node_to_node_and_counted()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var failovers = capture.Collect<long>("stomper.cluster.failovers");
        var nodes = Nodes(capture);
        var failed = nodes.Active;

        failed.Fail(Reset);

        var next = nodes.Active;
        Assert.That(next, Is.Not.SameAs(failed));
        Assert.That(capture.LogLines, Does.Contain($"2001 Warning: Failover: node {failed.Host}:{failed.Options.Port} failed (E_IO: Connection reset by peer); the active node is now {next.Host}:{next.Options.Port}"));
        Assert.That(capture.Logs.First(l => l.Id.Id == 2001).Category, Is.EqualTo("Stomper.Cluster.StomperCluster"));
        Assert.That(failovers.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(failovers.LastMeasurement!.Tags["server.address"], Is.EqualTo(failed.Host));
        Assert.That(failovers.LastMeasurement!.Tags["error.type"], Is.EqualTo("E_IO"));
    }

    [Test]
    public void A_command_error_moves_no_node_and_logs_no_failover()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var nodes = Nodes(capture);
        var active = nodes.Active;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        active.Commands[0].Callback!(null, new StompError("Access refused", E_OPRN_ERROR));

        Assert.That(nodes.Active, Is.SameAs(active));
        Assert.That(capture.Logs.Select(l => l.Id.Id), Has.None.EqualTo(2001));
    }

    [Test]
    public void A_SEND_run_again_on_the_next_node_is_logged_as_a_retry_and_one_that_failed_everywhere_as_given_up()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var nodes = Nodes(capture);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        var first = nodes.Active;
        first.Fail(Reset);
        var second = nodes.Active;
        second.Fail(Reset);
        var third = nodes.Active;
        third.Fail(Reset);

        var lines = capture.LogLines;
        Assert.That(lines, Does.Contain($"2002 Information: SEND failed on {first.Host}:{first.Options.Port}; running it again on {second.Host}:{second.Options.Port} (attempt 2 of 3)"));
        Assert.That(lines, Does.Contain($"2002 Information: SEND failed on {second.Host}:{second.Options.Port}; running it again on {third.Host}:{third.Options.Port} (attempt 3 of 3)"));
        Assert.That(lines, Does.Contain($"2003 Error: SEND failed on {third.Host}:{third.Options.Port} and is not run again: Operation \"SEND\" aborted: Connection reset by peer"));
        Assert.That(nodes.Trace, Does.Contain("send: Operation \"SEND\" aborted: Connection reset by peer"));
    }

    [Test]
    public void Disposing_the_cluster_with_work_pending_is_logged()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var nodes = Nodes(capture);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        nodes.Cluster.Dispose();

        Assert.That(capture.LogLines, Does.Contain("2004 Warning: Cluster disposed with 1 command(s) pending; each is answered with an error"));
    }
}
