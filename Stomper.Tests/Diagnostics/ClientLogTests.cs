using Microsoft.Extensions.Logging;
using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Diagnostics;

/// <summary>The client's log events: what an operator reads for each thing that happens, at which level, and what never appears.</summary>
[TestFixture]
public sealed class ClientLogTests
{
    private static ClientHarness Harness(TelemetryCapture capture, int[]? heartbeat = null, string? passcode = null) => new(o => o.ConnectionWith(new()
    {
        OnError = o.OnError, OnDisconnect = o.OnDisconnect, OnConnect = o.OnConnect,
        Heartbeat = heartbeat, Login = passcode is null ? null : "guest", Passcode = passcode,
        LoggerFactory = capture.LoggerFactory,
    }));

    [Test]
    public void Connecting_the_login_and_CONNECTED_are_logged_with_version_server_and_session()
    {
        using var capture = new TelemetryCapture(LogLevel.Debug);
        using var h = Harness(capture);

        h.Transport.ConnectCompleted!(null);
        h.Transport.Arrive("CONNECTED\nversion:1.2\nsession:S9\nserver:RabbitMQ/3.10.8\n\n\0");

        Assert.That(capture.LogLines, Is.EqualTo(new[]
        {
            "1001 Debug: Connecting to stomp.test:61613",
            "1002 Debug: TCP connection to stomp.test:61613 made; logging in as (none)",
            "1003 Information: Connected to stomp.test:61613: STOMP 1.2, server RabbitMQ/3.10.8, session S9",
        }));
        Assert.That(capture.Logs[2].Category, Is.EqualTo("Stomper.StomperClient"));
    }

    [Test]
    public void A_lost_connection_is_logged_with_its_reason_and_the_work_it_aborted()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture);
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("send"));

        h.Transport.ArriveEof();

        Assert.That(capture.LogLines.Skip(1), Is.EqualTo(new[]
        {
            "1006 Warning: Connection to stomp.test:61613 lost (E_CONN_CLOSED_BY_REMOTE_HOST): Connection closed by remote host.",
            "1011 Warning: 1 pending command(s) on stomp.test:61613 aborted: Connection closed by remote host.",
            "1012 Warning: 1 subscription(s) on stomp.test:61613 lost: Connection closed by remote host.",
        }));
    }

    [Test]
    public void A_connection_refused_is_logged_as_a_failed_connect()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture);

        h.Transport.ConnectCompleted!("Connection refused");

        Assert.That(capture.LogLines, Is.EqualTo(new[] { "1005 Warning: Cannot connect to stomp.test:61613: Can't connect to stomp.test:61613: Connection refused" }));
    }

    [Test]
    public void A_heart_beat_timeout_is_logged_as_such()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture, heartbeat: [0, 1000]);
        h.Connect(heartBeat: "1000,0");

        h.Step(3.1);

        Assert.That(h.Trace, Does.Contain("on_error: Read timed out."));
        Assert.That(capture.LogLines, Does.Contain("1007 Warning: No heart-beat nor frame from stomp.test:61613 within the read timeout; connection dropped"));
    }

    [Test]
    public void An_ERROR_that_ends_the_session_is_logged_at_Error_level()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture);
        h.Connect();

        h.Transport.Arrive("ERROR\nmessage:Access refused\n\n\0");

        Assert.That(capture.LogLines, Does.Contain("1008 Error: stomp.test:61613 ended the session with an ERROR frame: Access refused"));
    }

    [Test]
    public void A_command_the_broker_refuses_is_logged_with_the_brokers_message()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture);
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("send"));

        h.Transport.Arrive("ERROR\nreceipt-id:r1\nmessage:Not allowed\n\n\0");

        Assert.That(capture.LogLines, Does.Contain("1009 Warning: SEND refused by stomp.test:61613: Not allowed"));
        Assert.That(h.Client.IsConnected, Is.True);
    }

    [Test]
    public void An_ACK_of_a_message_not_pending_is_logged_as_not_sent()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = Harness(capture);
        h.Connect();
        var stray = new Frame("MESSAGE", new FrameHeaders(("subscription", "nope"), ("message-id", "m1"), ("ack", "a1")));

        h.Client.Ack(new() { Message = stray }, h.Record("ack"));
        h.Step();

        Assert.That(capture.LogLines, Does.Contain("1010 Warning: ACK not sent to stomp.test:61613: Unexpected ACK sent."));
    }

    [Test]
    public void A_reconnect_interval_is_logged_when_the_client_waits_before_reconnecting()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        using var h = new ClientHarness(o => o.ConnectionWith(new() { OnError = o.OnError, ReconnectInterval = 2.5, LoggerFactory = capture.LoggerFactory }));
        h.Connect();

        h.Transport.ArriveEof();

        Assert.That(capture.LogLines, Does.Contain("1013 Information: The next connect to stomp.test:61613 waits 2.5 s (reconnect_interval)"));
    }

    [Test]
    public void Disposing_with_work_pending_is_logged_as_dropped_work_beside_the_originals_warning()
    {
        using var capture = new TelemetryCapture(LogLevel.Information);
        var h = Harness(capture);
        h.Client.Send(new() { ["destination"] = "/queue/a" });

        h.Dispose();

        Assert.That(capture.LogLines, Does.Contain("1014 Warning: Client of stomp.test:61613 disposed with 1 command(s) pending; they are dropped"));
    }

    [Test]
    public void Frames_are_logged_only_at_Trace_level_and_never_their_bodies()
    {
        using var capture = new TelemetryCapture(LogLevel.Trace, tracing: false);
        using var h = Harness(capture);
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "secret-outgoing-body" });
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\ncontent-length:20\n\nsecret-incoming-body\0");

        var traced = capture.Logs.Where(l => l.Level == LogLevel.Trace).Select(l => l.Message).ToList();
        Assert.That(traced, Does.Contain("Sent SEND to stomp.test:61613 (66 bytes): destination /queue/a, receipt (null)"));
        Assert.That(traced.Any(t => t.StartsWith("Received MESSAGE from stomp.test:61613:", StringComparison.Ordinal) && t.EndsWith("(20 body bytes)", StringComparison.Ordinal)), Is.True, string.Join("\n", traced));
        Assert.That(capture.Logs.Select(l => l.Message), Has.None.Contains("secret-"));
    }

    [Test]
    public void Below_Trace_level_no_frame_is_logged()
    {
        using var capture = new TelemetryCapture(LogLevel.Debug);
        using var h = Harness(capture);
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "x" });

        Assert.That(capture.Logs.Select(l => l.Id.Id), Has.None.InRange(1090, 1099));
    }

    [Test]
    public void The_passcode_never_reaches_any_log_at_any_level()
    {
        using var capture = new TelemetryCapture(LogLevel.Trace);
        using var h = Harness(capture, passcode: "s3cr3t-passcode");

        h.Transport.ConnectCompleted!(null);
        h.Transport.Arrive("ERROR\nmessage:Bad CONNECT\n\n\0");

        Assert.That(capture.Logs, Is.Not.Empty);
        Assert.That(capture.Logs.Select(l => l.Message + " " + string.Join(",", l.StructuredState ?? [])), Has.None.Contains("s3cr3t"));
        Assert.That(capture.LogLines, Does.Contain("1002 Debug: TCP connection to stomp.test:61613 made; logging in as guest"));
    }

    [Test]
    public void Without_a_logger_factory_errors_still_reach_on_error_as_in_the_original()
    {
        using var h = new ClientHarness();
        h.Connect();

        h.Transport.ArriveEof();

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: Connection closed by remote host.", "on_disconnect" }));
    }
}
