using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>The hand-over between a WebSocket's receiving task and the loop: coalesced wake-ups, a bounded backlog, the end and failures in order.</summary>
[TestFixture]
public sealed class WebSocketInboxTests
{
    [Test]
    public void A_burst_of_messages_asks_for_one_wake_up_until_the_loop_has_taken_it()
    {
        using var inbox = new WebSocketInbox(1024);

        var wakes = new[] { inbox.Add("a"u8), inbox.Add("b"u8), inbox.Add("c"u8) };
        inbox.Woken();
        var afterWake = inbox.Add("d"u8);

        Assert.That(wakes, Is.EqualTo(new[] { true, false, false }));
        Assert.That(afterWake, Is.True);
        var buffer = new byte[16];
        Assert.That(inbox.Take(buffer), Is.EqualTo(4));
        Assert.That(buffer[..4], Is.EqualTo("abcd"u8.ToArray()));
        Assert.That(inbox.Take(buffer), Is.EqualTo(-1), "nothing waits now");
    }

    [Test]
    public void The_receiving_side_is_held_back_at_the_limit_and_let_go_once_the_loop_reads()
    {
        using var inbox = new WebSocketInbox(8);
        inbox.Add("12345678"u8);

        var room = inbox.WaitForRoomAsync();
        Assert.That(room.IsCompleted, Is.False);
        inbox.Take(new byte[3]);

        Assert.That(room.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(inbox.WaitForRoomAsync().IsCompleted, Is.True);
    }

    [Test]
    public void The_end_comes_after_the_bytes_before_it_with_its_reason()
    {
        using var inbox = new WebSocketInbox(1024);
        inbox.Add("last"u8);
        inbox.End("closed with 1000");
        var buffer = new byte[2];

        Assert.That(new[] { inbox.Take(buffer), inbox.Take(buffer), inbox.Take(buffer), inbox.Take(buffer) }, Is.EqualTo(new[] { 2, 2, 0, 0 }));
        Assert.That(inbox.EndReason, Is.EqualTo("closed with 1000"));
    }

    [Test]
    public void A_failure_is_thrown_once_the_bytes_before_it_are_taken()
    {
        using var inbox = new WebSocketInbox(1024);
        inbox.Add("x"u8);
        inbox.Fail("WebSocket error: reset");

        Assert.That(inbox.Take(new byte[4]), Is.EqualTo(1));
        Assert.That(() => inbox.Take(new byte[4]), Throws.InstanceOf<IOException>().With.Message.EqualTo("WebSocket error: reset"));
        Assert.That(inbox.Ready, Is.True);
    }

    [Test]
    public void Disposing_lets_a_receiving_side_held_back_go_and_drops_later_bytes()
    {
        var inbox = new WebSocketInbox(2);
        inbox.Add("12"u8);
        var room = inbox.WaitForRoomAsync();

        inbox.Dispose();

        Assert.That(room.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(inbox.Add("3"u8), Is.False);
    }

    [Test]
    public void A_handle_refuses_a_url_that_is_not_a_WebSocket_one_or_that_contradicts_its_tls_mode()
    {
        using var loop = new Loop(new FakeClock());

        Assert.That(
            () => new Handle(loop, new HandleOptions { Url = new Uri("tcp://127.0.0.1:61613") }),
            Throws.ArgumentException.With.Message.StartsWith("A WebSocket endpoint is named by an absolute ws:// or wss:// URL"));
        Assert.That(
            () => new Handle(loop, new HandleOptions { Url = new Uri("ws://127.0.0.1:15674/ws"), Tls = TlsMode.Connect }),
            Throws.ArgumentException.With.Message.StartsWith("tls => 'connect' needs a wss:// URL"));
        Assert.That(
            () => new Handle(loop, new HandleOptions { Url = new Uri("wss://127.0.0.1:15674/ws"), Tls = TlsMode.Accept }),
            Throws.ArgumentException.With.Message.StartsWith("tls => 'connect' needs a wss:// URL, and tls => 'accept' has no WebSocket counterpart"));
    }
}
