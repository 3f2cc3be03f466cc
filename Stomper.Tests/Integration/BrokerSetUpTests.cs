using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>Proves the brokers of scripts/brokers.sh are there and set up as the tests need.</summary>
[TestFixture]
[Category("Integration")]
public class BrokerSetUpTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [OneTimeSetUp]
    public void StartBrokers() => Brokers.EnsureStarted();

    [Test]
    public async Task Every_rabbit_node_answers_CONNECT_with_CONNECTED()
    {
        Assert.That(Brokers.RabbitNodes, Has.Count.EqualTo(3), "STOMPER_RABBIT_NODES names three nodes");
        foreach (var node in Brokers.RabbitNodes)
        {
            using var stomp = await RawStomp.ConnectAsync(node, Wait); // throws unless CONNECTED
        }
    }

    [Test]
    public async Task ActiveMQ_answers_CONNECT_with_CONNECTED()
    {
        using var stomp = await RawStomp.ConnectAsync(Brokers.ActiveMq, Wait);
    }

    [Test]
    public async Task A_message_sent_through_node_2_to_a_quorum_queue_reaches_a_subscriber_on_node_1()
    {
        var queue = $"/queue/stomper-setup-{Guid.NewGuid():N}";
        using var subscriber = await RawStomp.ConnectAsync(Brokers.Rabbit(1), Wait);
        await subscriber.SubscribeAsync(queue, "s1", ("x-queue-type", "quorum"), ("receipt", "sub"));
        await subscriber.ExpectAsync("RECEIPT", Wait);

        using var publisher = await RawStomp.ConnectAsync(Brokers.Rabbit(2), Wait);
        await publisher.SendAsync(queue, "hello from node 2", ("x-queue-type", "quorum"), ("receipt", "sent"));
        await publisher.ExpectAsync("RECEIPT", Wait);

        var message = await subscriber.ExpectAsync("MESSAGE", Wait);
        Assert.That(message.Body, Is.EqualTo("hello from node 2"));
    }

    [Test]
    public async Task ActiveMQ_round_trips_a_message()
    {
        var queue = $"/queue/stomper-setup-{Guid.NewGuid():N}";
        using var subscriber = await RawStomp.ConnectAsync(Brokers.ActiveMq, Wait);
        await subscriber.SubscribeAsync(queue, "s1", ("receipt", "sub"));
        await subscriber.ExpectAsync("RECEIPT", Wait);

        using var publisher = await RawStomp.ConnectAsync(Brokers.ActiveMq, Wait);
        await publisher.SendAsync(queue, "hello ActiveMQ", ("receipt", "sent"));
        await publisher.ExpectAsync("RECEIPT", Wait);

        var message = await subscriber.ExpectAsync("MESSAGE", Wait);
        Assert.That(message.Body, Is.EqualTo("hello ActiveMQ"));
    }
}
