using System.Diagnostics;
using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Diagnostics;

/// <summary>The client's spans on the "Stomper" activity source, and the W3C trace context it carries in SEND and reads from MESSAGE.</summary>
[TestFixture]
public sealed class ClientTracingTests
{
    private static readonly ActivitySource s_caller = new("Stomper.Tests.Caller");

    private static ClientHarness Connected(string server = "RabbitMQ/3.10.8")
    {
        var h = new ClientHarness();
        h.Transport.ConnectCompleted!(null);
        h.Transport.Arrive($"CONNECTED\nversion:1.2\nsession:S1\nserver:{server}\n\n\0");
        return h;
    }

    private static void Subscribe(ClientHarness h, Action<Frame> onMessage)
    {
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, onMessage);
        h.ReceiptForLastSent();
    }

    [Test]
    public void A_SEND_makes_a_producer_span_whose_context_goes_out_in_traceparent()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();

        h.Client.Send(new() { ["destination"] = "/queue/a", Body = "hello" });

        var span = capture.Spans.Single();
        Assert.That(span.DisplayName, Is.EqualTo("send /queue/a"));
        Assert.That(span.Kind, Is.EqualTo(ActivityKind.Producer));
        Assert.That(span.GetTagItem("messaging.system"), Is.EqualTo("rabbitmq"));
        Assert.That(span.GetTagItem("messaging.destination.name"), Is.EqualTo("/queue/a"));
        Assert.That(span.GetTagItem("messaging.operation.type"), Is.EqualTo("send"));
        Assert.That(span.GetTagItem("network.protocol.name"), Is.EqualTo("stomp"));
        Assert.That(span.GetTagItem("network.protocol.version"), Is.EqualTo("1.2"));
        Assert.That(span.GetTagItem("server.address"), Is.EqualTo("stomp.test"));
        Assert.That(span.GetTagItem("messaging.message.body.size"), Is.EqualTo(5));
        Assert.That(h.LastSent().Headers["traceparent"], Is.EqualTo($"00-{span.TraceId}-{span.SpanId}-01"));
    }

    [Test]
    public void A_SEND_inside_the_callers_span_is_its_child()
    {
        using var capture = new TelemetryCapture();
        using var callerListener = ListenTo(s_caller);
        using var h = Connected();

        using (var caller = s_caller.StartActivity("publish order"))
        {
            h.Client.Send(new() { ["destination"] = "/queue/a" });
            Assert.That(capture.Spans.Single().ParentSpanId, Is.EqualTo(caller!.SpanId));
        }
    }

    [Test]
    public void A_SEND_queued_before_CONNECTED_keeps_the_context_of_its_caller()
    {
        using var capture = new TelemetryCapture();
        using var callerListener = ListenTo(s_caller);
        using var h = new ClientHarness();
        ActivityTraceId trace;
        using (var caller = s_caller.StartActivity("publish early"))
        {
            trace = caller!.TraceId;
            h.Client.Send(new() { ["destination"] = "/queue/a" });
        }

        h.Connect();

        Assert.That(capture.Spans.Single().TraceId, Is.EqualTo(trace));
    }

    [Test]
    public void Without_a_listener_a_SEND_carries_no_trace_header()
    {
        using var h = Connected();

        h.Client.Send(new() { ["destination"] = "/queue/a" });

        Assert.That(h.LastSent().Headers.ContainsKey("traceparent"), Is.False);
    }

    [Test]
    public void A_traceparent_the_caller_gave_is_kept()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();
        const string Given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        h.Client.Send(new() { ["destination"] = "/queue/a", ["traceparent"] = Given });

        Assert.That(h.Sent()[^1].Headers["traceparent"], Is.EqualTo(Given));
        Assert.That(h.Transport.SentText.Split("traceparent:").Length - 1, Is.EqualTo(1));
    }

    [Test]
    public void A_MESSAGE_carrying_a_traceparent_continues_the_senders_trace_in_a_consumer_span_linked_to_it()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected("ActiveMQ/5.17.6");
        Activity? during = null;
        Subscribe(h, _ => during = Activity.Current);

        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m7\ndestination:/queue/a\n"
            + "traceparent:00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\ntracestate:vendor=x\n\nbody\0");

        var span = capture.Spans.Single();
        Assert.That(during, Is.SameAs(span), "the handler runs inside the span");
        Assert.That(span.DisplayName, Is.EqualTo("process /queue/a"));
        Assert.That(span.Kind, Is.EqualTo(ActivityKind.Consumer));
        Assert.That(span.TraceId.ToString(), Is.EqualTo("0af7651916cd43dd8448eb211c80319c"));
        Assert.That(span.ParentSpanId.ToString(), Is.EqualTo("b7ad6b7169203331"));
        Assert.That(span.TraceStateString, Is.EqualTo("vendor=x"));
        Assert.That(span.Links.Single().Context.SpanId.ToString(), Is.EqualTo("b7ad6b7169203331"));
        Assert.That(span.GetTagItem("messaging.system"), Is.EqualTo("activemq"));
        Assert.That(span.GetTagItem("messaging.message.id"), Is.EqualTo("m7"));
        Assert.That(span.GetTagItem("messaging.destination.subscription.name"), Is.EqualTo("s1"));
        Assert.That(span.GetTagItem("messaging.operation.type"), Is.EqualTo("process"));
    }

    [Test]
    public void A_MESSAGE_without_trace_context_starts_a_trace_of_its_own()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();
        Subscribe(h, _ => { });

        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nx\0");

        var span = capture.Spans.Single();
        Assert.That(span.ParentSpanId, Is.EqualTo(default(ActivitySpanId)));
        Assert.That(span.Links, Is.Empty);
    }

    [Test]
    public void A_handler_that_throws_marks_its_span_as_failed_and_the_exception_goes_on()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();
        Subscribe(h, _ => throw new InvalidOperationException("user bug"));

        Assert.Throws<InvalidOperationException>(() => h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\ndestination:/queue/a\n\nx\0"));

        var span = capture.Spans.Single();
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(span.GetTagItem("error.type"), Is.EqualTo("System.InvalidOperationException"));
    }

    [Test]
    public void A_temporary_destination_stays_out_of_the_span_name_and_tags()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();

        h.Client.Send(new() { ["destination"] = "/temp-queue/replies-4711" });

        var span = capture.Spans.Single();
        Assert.That(span.DisplayName, Is.EqualTo("send (temporary)"));
        Assert.That(span.GetTagItem("messaging.destination.name"), Is.Null);
        Assert.That(span.GetTagItem("messaging.destination.temporary"), Is.EqualTo(true));
    }

    [Test]
    public void ACK_and_NACK_make_settle_spans_and_transactions_their_own()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();
        var messages = new List<Frame>();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client-individual" }, messages.Add);
        h.ReceiptForLastSent();
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a1\ndestination:/queue/a\n\nx\0");
        h.Transport.Arrive("MESSAGE\nsubscription:s1\nmessage-id:m2\nack:a2\ndestination:/queue/a\n\nx\0");

        h.Client.Begin(new() { ["transaction"] = "tx1" });
        h.Client.Ack(new() { Message = messages[0], ["transaction"] = "tx1" });
        h.Client.Nack(new() { Message = messages[1] });
        h.Client.Commit(new() { ["transaction"] = "tx1" });

        var spans = capture.Spans.Where(s => s.Kind == ActivityKind.Client).ToList();
        Assert.That(spans.Select(s => s.DisplayName), Is.EqualTo(new[] { "begin", "ack /queue/a", "nack /queue/a", "commit" }));
        Assert.That(spans[1].GetTagItem("messaging.operation.type"), Is.EqualTo("settle"));
        Assert.That(spans[1].GetTagItem("messaging.message.id"), Is.EqualTo("m1"));
        Assert.That(spans[3].GetTagItem("messaging.stomp.transaction"), Is.EqualTo("tx1"));
    }

    [Test]
    public void The_propagator_can_be_replaced()
    {
        using var capture = new TelemetryCapture();
        using var h = Connected();
        StomperDiagnostics.Propagator = new FixedHeaderPropagator();
        try
        {
            h.Client.Send(new() { ["destination"] = "/queue/a" });
        }
        finally
        {
            StomperDiagnostics.Propagator = null;
        }

        Assert.That(h.LastSent().Headers["x-trace"], Is.EqualTo(capture.Spans.Single().SpanId.ToString()));
        Assert.That(h.LastSent().Headers.ContainsKey("traceparent"), Is.False);
    }

    [TestCase("RabbitMQ/3.10.8", "rabbitmq")]
    [TestCase("ActiveMQ/5.17.6", "activemq")]
    [TestCase("apache-activemq-artemis/2.31.2", "stomp")]
    [TestCase(null, "stomp")]
    public void The_messaging_system_comes_from_CONNECTEDs_server_header(string? server, string system) =>
        Assert.That(ClientTelemetry.SystemOf(server), Is.EqualTo(system));

    private static ActivityListener ListenTo(ActivitySource source)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>A propagator of the test's own: one header with the span id.</summary>
    private sealed class FixedHeaderPropagator : DistributedContextPropagator
    {
        public override IReadOnlyCollection<string> Fields { get; } = ["x-trace"];

        public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter) =>
            setter?.Invoke(carrier, "x-trace", activity?.SpanId.ToString() ?? string.Empty);

        public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
            (traceId, traceState) = (null, null);

        public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
    }
}
