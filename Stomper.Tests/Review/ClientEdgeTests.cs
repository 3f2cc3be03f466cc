using Moq;
using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Review;

/// <summary>The single-node client at its edges: routing fallbacks, Dispose, and what a command keeps of its arguments.</summary>
[TestFixture]
public sealed class ClientEdgeTests
{
    [Test]
    public void A_message_routed_by_its_destination_can_be_acknowledged()
    {
        // Row 23: a subscription made without an id is found by the MESSAGE's destination
        // when the broker names the subscription its own way (RabbitMQ on 1.0/1.1 does).
        using var h = new ClientHarness();
        h.Connect(version: "1.1");
        Frame? delivered = null;
        h.Client.Subscribe(new() { ["destination"] = "/queue/a", ["ack"] = "client" }, msg => delivered = msg);
        h.ReceiptForLastSent();
        h.Transport.Arrive("MESSAGE\nsubscription:T_/queue/a\nmessage-id:m1\ndestination:/queue/a\n\nhi\0");
        Assert.That(delivered, Is.Not.Null, "the message was routed by its destination");

        h.Client.Ack(new() { Message = delivered }, h.Record("ack"));
        h.Step();
        h.Step();

        Assert.That(h.Trace.Where(t => t.StartsWith("ack:", StringComparison.Ordinal)), Is.Empty.Or.All.EqualTo("ack: sent"));
        Assert.That(h.Sent().Select(f => f.Command), Does.Contain("ACK"));
    }

    [Test]
    public void No_callback_runs_after_Dispose_even_for_a_failure_decided_before_it()
    {
        // Dispose's contract: "No callback is called." A failure the client decided in the
        // call and postponed (a receipt id already awaited, an unexpected ACK, a header
        // the version cannot carry) still calls back after Dispose.
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("first"));
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "r1" }, h.Record("second"));
        h.Client.Dispose();
        h.Trace.Clear();

        h.Step();

        Assert.That(h.Trace, Is.Empty);
    }

    [Test]
    public void A_SEND_queued_before_CONNECTED_carries_the_headers_and_body_of_its_call()
    {
        // Perl copies the arguments at the call (my %params = @_). The port keeps the
        // caller's CommandParams: reused as a template (row 11 invites it) and changed
        // between calls, every SEND queued before CONNECTED goes out with the last values,
        // while the same loop after CONNECTED sends distinct frames.
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            Lazy = true,
        }));
        var template = new CommandParams { ["destination"] = "/queue/a" };
        for (var i = 1; i <= 3; i++)
        {
            template.Body = $"msg {i}";
            template["x-seq"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            h.Client.Send(template);
        }

        h.Step();
        h.Connect();
        h.Step();

        var bodies = h.Sent().Where(f => f.Command == "SEND").Select(f => f.Body).ToArray();
        Assert.That(bodies, Is.EqualTo(new[] { "msg 1", "msg 2", "msg 3" }));
    }

    [Test]
    public void Disposing_the_client_inside_on_error_calls_no_other_callback()
    {
        // Dispose says no callback is called; inside the failure sequence the lost
        // subscriptions, the aborted commands and on_disconnect are still called after it.
        var trace = new List<string>();
        StomperClient? client = null;
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            OnError = _ =>
            {
                trace.Add("on_error");
                client!.Dispose();
            },
            OnDisconnect = () => trace.Add("on_disconnect"),
        }));
        client = h.Client;
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => trace.Add("send: " + e?.Message));

        h.Transport.ArriveEof();
        h.Step();

        Assert.That(trace, Is.EqualTo(new[] { "on_error" }));
    }

    [Test]
    public void Frames_already_read_are_dispatched_before_a_socket_error_is_acted_on()
    {
        // Issue 9 item 2 with a connection reset instead of EOF: one read holds
        // MESSAGE (on_message throws) and the RECEIPT of a SEND; the socket's next read
        // fails before the postponed rest of the buffer is read. The handle is destroyed
        // first and Read finds no buffer: the SEND is reported aborted (the cluster sends
        // it again: a duplicate) although its RECEIPT had arrived.
        using var h = new ClientHarness();
        h.Connect();
        var (bodies, sendReceipt) = h.ThreeFramesInOneReadTheFirstOneThrowing();
        h.Transport.Mock.Setup(t => t.Receive(It.IsAny<byte[]>(), It.IsAny<int>(), It.IsAny<int>()))
            .Throws(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset));

        h.Transport.Readable!();
        h.Step();

        Assert.That(bodies, Is.EqualTo(new[] { "boom", "after" }));
        Assert.That(h.Trace, Does.Contain($"send: receipt {sendReceipt}"));
    }
}
