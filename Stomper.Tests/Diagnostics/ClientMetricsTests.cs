using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Diagnostics;

/// <summary>The client's instruments on the "Stomper" meter, read through a meter factory of the test's own.</summary>
[TestFixture]
public sealed class ClientMetricsTests
{
    private static ClientHarness Harness(TelemetryCapture capture, int[]? heartbeat = null) => new(o => o.ConnectionWith(new()
    {
        OnError = o.OnError, OnDisconnect = o.OnDisconnect, OnConnect = o.OnConnect,
        Heartbeat = heartbeat, MeterFactory = capture.MeterFactory,
    }));

    private static void Subscribe(ClientHarness h, string id = "s1")
    {
        h.Client.Subscribe(new() { ["id"] = id, ["destination"] = "/queue/a" }, _ => { });
        h.ReceiptForLastSent();
    }

    [Test]
    public void Sent_and_consumed_messages_are_counted_with_the_conventions_tags()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var sent = capture.Collect<long>("messaging.client.sent.messages");
        var consumed = capture.Collect<long>("messaging.client.consumed.messages");
        var handling = capture.Collect<double>("messaging.process.duration");
        using var h = Harness(capture);
        h.Transport.ConnectCompleted!(null);
        h.Transport.Arrive("CONNECTED\nversion:1.2\nsession:S1\nserver:ActiveMQ/5.17.6\n\n\0");
        Subscribe(h);

        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "one" });
        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "two" });
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nx\0");

        Assert.That(sent.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
        var tags = sent.LastMeasurement!.Tags;
        Assert.That(tags["messaging.system"], Is.EqualTo("activemq"));
        Assert.That(tags["messaging.destination.name"], Is.EqualTo("/queue/a"));
        Assert.That(tags["messaging.operation.name"], Is.EqualTo("send"));
        Assert.That(tags["server.address"], Is.EqualTo("stomp.test"));
        Assert.That(tags["server.port"], Is.EqualTo(61613));
        Assert.That(consumed.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(consumed.LastMeasurement!.Tags["messaging.operation.name"], Is.EqualTo("process"));
        Assert.That(handling.GetMeasurementSnapshot(), Has.Count.EqualTo(1));
        Assert.That(handling.LastMeasurement!.Value, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void A_receipt_round_trip_is_measured_and_the_pending_receipts_go_up_and_down()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var duration = capture.Collect<double>("messaging.client.operation.duration");
        var pending = capture.Collect<long>("stomper.client.receipts.pending");
        using var h = Harness(capture);
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("send"));
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r2" }, h.Record("send"));
        Assert.That(pending.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
        h.Transport.Arrive("RECEIPT\nreceipt-id:r1\n\n\0");
        h.Transport.Arrive("ERROR\nreceipt-id:r2\nmessage:no\n\n\0");

        Assert.That(pending.GetMeasurementSnapshot().Sum(m => m.Value), Is.Zero);
        var trips = duration.GetMeasurementSnapshot();
        Assert.That(trips, Has.Count.EqualTo(2));
        Assert.That(trips[0].Tags["messaging.operation.name"], Is.EqualTo("SEND"));
        Assert.That(trips[0].Tags.ContainsKey("error.type"), Is.False);
        Assert.That(trips[1].Tags["error.type"], Is.EqualTo("E_OPRN_ERROR"));
    }

    [Test]
    public void Receipts_still_pending_when_the_connection_ends_leave_the_gauge()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var pending = capture.Collect<long>("stomper.client.receipts.pending");
        using var h = Harness(capture);
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("send"));

        h.Transport.ArriveEof();

        Assert.That(pending.GetMeasurementSnapshot().Sum(m => m.Value), Is.Zero);
    }

    [Test]
    public void Live_subscriptions_rise_with_each_RECEIPT_and_fall_on_UNSUBSCRIBE_and_on_loss()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var live = capture.Collect<long>("stomper.client.subscriptions.live");
        using var h = Harness(capture);
        h.Connect();
        Subscribe(h, "s1");
        Subscribe(h, "s2");
        Subscribe(h, "s3");
        Assert.That(live.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(3));

        h.Client.Unsubscribe(new() { ["id"] = "s2" });
        h.ReceiptForLastSent();
        Assert.That(live.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));

        h.Transport.ArriveEof();
        Assert.That(live.GetMeasurementSnapshot().Sum(m => m.Value), Is.Zero);
    }

    [Test]
    public void Connects_and_reconnects_are_counted_apart()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var connects = capture.Collect<long>("stomper.client.connects");
        var reconnects = capture.Collect<long>("stomper.client.reconnects");
        using var h = Harness(capture);
        h.Connect();
        h.Transport.ArriveEof();

        h.Client.Send(new() { ["destination"] = "/queue/a" });
        h.Step();
        h.Connect();

        Assert.That(connects.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
        Assert.That(reconnects.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
    }

    [Test]
    public void A_heart_beat_timeout_is_counted()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var timeouts = capture.Collect<long>("stomper.client.heartbeat.timeouts");
        using var h = Harness(capture, heartbeat: [0, 1000]);
        h.Connect(heartBeat: "1000,0");

        h.Step(3.1);

        Assert.That(timeouts.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
    }

    [Test]
    public void Bytes_in_and_out_are_counted_heart_beats_included()
    {
        using var capture = new TelemetryCapture(tracing: false);
        var sentBytes = capture.Collect<long>("stomper.client.sent.bytes");
        var readBytes = capture.Collect<long>("stomper.client.received.bytes");
        using var h = Harness(capture);
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "hello" });
        h.Step();
        h.Transport.Arrive("\n");

        var written = h.Transport.Sent.Sum(b => b.Length);
        Assert.That(sentBytes.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(written));
        Assert.That(readBytes.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo("CONNECTED\nversion:1.2\nsession:S1\n\n\0".Length + 1));
    }
}
