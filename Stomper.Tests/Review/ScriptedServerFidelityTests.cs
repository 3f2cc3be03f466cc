using EventLoop;
using NUnit.Framework;
using Stomper.Testing;

namespace Stomper.Tests.Review;

/// <summary>The public scripted server against what a broker does: a test that passes on it must mean something on a broker.</summary>
[TestFixture]
public sealed class ScriptedServerFidelityTests
{
    [Test]
    public void A_SUBSCRIBE_the_scripted_server_refuses_is_not_a_live_subscription_on_it()
    {
        // ReceiptMode.Error answers ERROR "refused", yet the SUBSCRIBE was recorded first:
        // Subscriptions lists it and PushMessage delivers to it, which no broker does for a
        // subscription it refused. (The client then closes on "Unknown subscription".)
        using var loop = new Loop(new FakeClock());
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Error };
        using var client = new StomperClient(new StomperOptions { Loop = loop, Transport = server.Transport, OnError = _ => { } });
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, _) => { } }, _ => { });

        loop.RunPending();

        Assert.That(server.Connection.Subscriptions.Keys, Has.No.Member("s1"));
    }

    [Test]
    public void An_UNSUBSCRIBE_the_scripted_server_refuses_leaves_the_subscription_live_on_it()
    {
        using var loop = new Loop(new FakeClock());
        var server = new ScriptedStompServer();
        using var client = new StomperClient(new StomperOptions { Loop = loop, Transport = server.Transport, OnError = _ => { } });
        client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, _ => { });
        loop.RunPending();
        server.Receipts = ReceiptMode.Error;

        client.Unsubscribe(new() { ["id"] = "s1" }, (_, _) => { });
        loop.RunPending();

        Assert.That(server.Connection.Subscriptions.Keys, Has.Member("s1"));
    }
}
