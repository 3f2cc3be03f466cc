using NUnit.Framework;
using Stomper.Tests.Client;

namespace Stomper.Tests.Review;

/// <summary>
/// An exception thrown by a user callback leaves the loop (design.md: "the caller may run
/// it again"); the client must still deliver every frame it has read and call every other
/// command callback exactly once when the loop runs on.
/// </summary>
[TestFixture]
public sealed class ClientCallbackExceptionTests
{
    [Test]
    public void Frames_already_read_are_still_dispatched_after_an_on_message_callback_throws()
    {
        using var h = new ClientHarness();
        h.Connect();
        var (bodies, sendReceipt) = h.ThreeFramesInOneReadTheFirstOneThrowing();

        h.Step();

        Assert.That(bodies, Is.EqualTo(new[] { "boom", "after" }));
        Assert.That(h.Trace, Has.Member($"send: receipt {sendReceipt}"));
        Assert.That(h.Client.IsConnected, Is.True);
    }

    [Test]
    public void Write_confirmations_go_on_after_a_send_callback_throws()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, (_, _) => throw new InvalidOperationException("user bug"));
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("second"));

        Assert.Throws<InvalidOperationException>(() => h.Step());
        h.Step();

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "second: sent" }));
    }

    [Test]
    public void Every_failure_callback_still_runs_after_on_error_throws()
    {
        var trace = new List<string>();
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            OnError = _ => throw new InvalidOperationException("user bug"),
            OnDisconnect = () => trace.Add("on_disconnect"),
        }));
        h.Connect();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, e) => trace.Add("subscribe: " + e?.Message) }, _ => { });
        h.ReceiptForLastSent();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => trace.Add("send: " + e?.Message));
        trace.Clear();

        Assert.Throws<InvalidOperationException>(() => h.Transport.ArriveEof());
        h.Step();

        Assert.That(trace, Is.EqualTo(new[]
        {
            "subscribe: Subscription \"s1\" lost: Connection closed by remote host.",
            "send: Operation \"SEND\" aborted: Connection closed by remote host.",
            "on_disconnect",
        }));
    }

    [Test]
    public void After_a_failure_callback_throws_the_rest_run_once_each_and_in_order()
    {
        var trace = new List<string>();
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) =>
        {
            trace.Add("first");
            throw new InvalidOperationException("user bug");
        });
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => trace.Add("second"));
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, _) => trace.Add("third"));

        Assert.Throws<InvalidOperationException>(() => h.Client.ForceDisconnect());
        h.Step();
        h.Step();

        Assert.That(trace, Is.EqualTo(new[] { "first", "second", "third" }));
    }

    [Test]
    public void A_DISCONNECT_whose_callback_throws_still_closes_the_session_cleanly()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Disconnect(null, (_, _) => throw new InvalidOperationException("user bug"));
        var receipt = h.LastSent().Headers["receipt"];

        Assert.Throws<InvalidOperationException>(() => h.Transport.Arrive($"RECEIPT\nreceipt-id:{receipt}\n\n\0"));
        h.Transport.ArriveEof();
        h.Step();

        Assert.That(h.Client.IsConnected, Is.False);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_disconnect" }));
    }
}
