using System.Diagnostics;
using EventLoop;
using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Testing;
using Stomper.Tests.Client;
using Stomper.Tests.Diagnostics;

namespace Stomper.Tests.Review;

/// <summary>Review of issue 13's tracing as merged: the trace context a caller gives is the one that goes out, and a SEND never sent ends its span as failed.</summary>
[TestFixture]
public sealed class ObservabilityReviewTests
{
    private const string Given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly ActivitySource s_caller = new("Stomper.Tests.ReviewCaller");

    [Test]
    public void A_traceparent_the_caller_gave_goes_out_without_the_spans_tracestate_beside_it()
    {
        using var capture = new TelemetryCapture();
        using var callerListener = ClientTracingTests.ListenTo(s_caller);
        using var h = new ClientHarness();
        h.Connect();

        using (var caller = s_caller.StartActivity("publish"))
        {
            caller!.TraceStateString = "vendor=ours";
            h.Client.Send(new() { ["destination"] = "/queue/a", ["traceparent"] = Given });
        }

        // A tracestate belongs to the traceparent it came with: ours next to the caller's would
        // hand the consumer a vendor state of another trace.
        Assert.That(h.LastSent().Headers["traceparent"], Is.EqualTo(Given));
        Assert.That(h.LastSent().Headers.ContainsKey("tracestate"), Is.False);
    }

    [Test]
    public void A_traceparent_among_the_default_headers_is_the_only_one_a_SEND_carries()
    {
        using var capture = new TelemetryCapture();
        using var h = new ClientHarness(o => o.ConnectionWith(new() { DefaultHeaders = new Dictionary<string, string> { ["traceparent"] = Given } }));
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a" });

        Assert.That(h.Transport.SentText.Split("traceparent:").Length - 1, Is.EqualTo(1));
        Assert.That(h.LastSent().Headers["traceparent"], Is.EqualTo(Given));
    }

    [Test]
    public void A_traceparent_among_the_SEND_commands_headers_is_the_only_one_a_SEND_carries()
    {
        using var capture = new TelemetryCapture();
        var commandHeaders = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["SEND"] = new Dictionary<string, string> { ["traceparent"] = Given },
        };
        using var h = new ClientHarness(o => o.ConnectionWith(new() { CommandHeaders = commandHeaders }));
        h.Connect();

        h.Client.Send(new() { ["destination"] = "/queue/a" });

        Assert.That(h.Transport.SentText.Split("traceparent:").Length - 1, Is.EqualTo(1));
        Assert.That(h.LastSent().Headers["traceparent"], Is.EqualTo(Given));
    }

    [Test]
    public void A_SEND_refused_for_a_header_its_version_cannot_carry_ends_its_span_as_failed()
    {
        using var capture = new TelemetryCapture();
        using var h = new ClientHarness();
        h.Connect("1.0");
        StompError? error = null;

        h.Client.Send(new() { ["destination"] = "/queue/a", ["x-bad"] = "two\nlines" }, (_, e) => error = e);
        h.Loop.RunOnce(block: false);

        Assert.That(error, Is.Not.Null);
        var span = capture.Spans.Single();
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(span.StatusDescription, Is.EqualTo(error!.Message));
        Assert.That(span.GetTagItem("error.type"), Is.EqualTo(nameof(ErrorCode.E_OPRN_ERROR)));
    }

    [Test]
    public void Messages_of_a_wildcard_subscription_are_counted_and_named_under_the_subscribed_destination_not_each_ones_own()
    {
        using var capture = new TelemetryCapture();
        var consumed = capture.Collect<long>("messaging.client.consumed.messages");
        using var h = new ClientHarness(o => o.ConnectionWith(new() { MeterFactory = capture.MeterFactory }));
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/exchange/amq.topic/orders.#" }, _ => { });
        h.ReceiptForLastSent();

        // RabbitMQ names each MESSAGE by its routing key: one tag value per order id would
        // grow the metric's series without bound.
        for (var i = 0; i < 3; i++)
        {
            h.Transport.Arrive($"MESSAGE\nsubscription:s1\nmessage-id:m{i}\ndestination:/exchange/amq.topic/orders.{i}\n\nx\0");
        }

        var destinations = consumed.GetMeasurementSnapshot().Select(m => m.Tags["messaging.destination.name"]).Distinct();
        Assert.That(destinations, Is.EqualTo(new[] { "/exchange/amq.topic/orders.#" }));
        Assert.That(capture.Spans.Where(s => s.Kind == ActivityKind.Consumer).Select(s => s.DisplayName).Distinct(), Is.EqualTo(new[] { "process /exchange/amq.topic/orders.#" }));
    }

    [Test]
    [CancelAfter(30_000)]
    public void A_SEND_the_cluster_runs_again_on_the_next_node_stays_in_its_callers_trace()
    {
        using var capture = new TelemetryCapture();
        using var callerListener = ClientTracingTests.ListenTo(s_caller);
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Hold };
        using var loop = new Loop(new FakeClock());
        using var cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [new("a", 1), new("b", 2)],
            Loop = loop,
            Transport = server.Transport,
            Random = new Random(0),
            OnNodeError = (_, _, _) => { },
        });
        ActivityTraceId trace;
        using (var caller = s_caller.StartActivity("publish"))
        {
            trace = caller!.TraceId;
            cluster.Send(new() { ["destination"] = "/queue/out", ["receipt"] = "auto" }, (_, _) => { });
        }

        Step(loop, 5);
        var first = server.Connection;
        var firstParent = first.ReceivedBy("SEND").Single().Headers["traceparent"];
        first.Node!.Kill();
        Step(loop, 10);
        var second = server.Connection;
        var secondParent = second.ReceivedBy("SEND").Single().Headers["traceparent"];

        Assert.That(firstParent, Does.Contain(trace.ToHexString()));
        Assert.That(secondParent, Does.Contain(trace.ToHexString()), "the retry's span begins a trace of its own: the consumer cannot find the publisher");
    }

    private static void Step(Loop loop, int passes)
    {
        for (var i = 0; i < passes; i++)
        {
            loop.RunOnce(block: false);
            Thread.Yield();
        }
    }
}
