using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>GetNodeStatusAsync: every node's state, read on the loop, for health checks.</summary>
public sealed class AsyncNodeStatusTests : AsyncFixture
{
    [Test]
    public async Task A_single_server_is_one_active_node_connected_with_its_read_timeout()
    {
        var broker = H.Broker(new FakeBrokerOptions { HeartBeatSend = 200 });
        var client = H.Client(broker, o => new StomperOptions { Host = o.Host, Port = o.Port, OnError = o.OnError, Heartbeat = [0, 200] });
        await client.ConnectAsync();

        var status = await client.GetNodeStatusAsync();

        Assert.That(status, Has.Count.EqualTo(1));
        var node = status[0];
        Assert.That((node.Host, node.Port, node.IsActive, node.IsConnected, node.IsReadingPaused), Is.EqualTo((broker.Host, broker.Port, true, true, false)));
        Assert.That(node.ReadTimeout, Is.EqualTo(TimeSpan.FromSeconds(0.6)));
        Assert.That(node.Silence, Is.Not.Null.And.LessThan(node.ReadTimeout));
    }

    [Test]
    public async Task A_cluster_lists_its_nodes_in_order_with_only_the_active_one_connected_after_a_command()
    {
        var brokers = new[] { H.Broker(), H.Broker(), H.Broker() };
        var client = H.Cluster(brokers);
        Assert.That((await client.GetNodeStatusAsync()).Select(n => n.IsConnected), Is.All.False, "nodes connect on the first command");

        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" });
        var status = await client.GetNodeStatusAsync();

        Assert.That(status.Select(n => n.Port), Is.EqualTo(brokers.Select(b => b.Port)));
        Assert.That(status.Count(n => n.IsActive), Is.EqualTo(1));
        var active = status.Single(n => n.IsActive);
        Assert.That(active.IsConnected, Is.True);
        Assert.That(brokers.Single(b => b.Port == active.Port).FramesReceived("SEND"), Is.EqualTo(1));
        Assert.That(status.Where(n => !n.IsActive).Select(n => (n.IsConnected, n.Silence)), Is.All.EqualTo((false, (TimeSpan?)null)));
    }

    [Test]
    public async Task A_disposed_client_refuses_the_question()
    {
        var client = H.Client(H.Broker());
        await client.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetNodeStatusAsync());
    }
}
