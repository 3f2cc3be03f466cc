using System.Security.Authentication;
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

    [Test]
    public async Task Tls_listeners_of_every_broker_answer_CONNECT_with_a_certificate_the_local_CA_signed_for_127_0_0_1()
    {
        var tls = RawStomp.TlsOptions(Brokers.CaFile);
        foreach (var node in Brokers.RabbitTlsNodes.Append(Brokers.ActiveMqTls))
        {
            using var stomp = await RawStomp.ConnectAsync(node, Wait, tls); // throws unless verified and CONNECTED
        }
    }

    [Test]
    public async Task Tls_certificates_name_localhost_too()
    {
        using var stomp = await RawStomp.ConnectAsync(Brokers.RabbitTlsNodes[0], Wait, RawStomp.TlsOptions(Brokers.CaFile, "localhost"));
    }

    [Test]
    public async Task Tls_listener_with_client_certificates_answers_CONNECT_only_to_a_client_that_has_one()
    {
        using (await RawStomp.ConnectAsync(Brokers.ActiveMqMutualTls, Wait, RawStomp.TlsOptions(Brokers.CaFile, clientCertificate: true)))
        {
        }

        // TLS 1.3 lets the client finish its handshake before the broker refuses: the refusal
        // may come as the answer to CONNECT.
        Assert.That(async () => await RawStomp.ConnectAsync(Brokers.ActiveMqMutualTls, Wait, RawStomp.TlsOptions(Brokers.CaFile)),
            Throws.InstanceOf<IOException>().Or.InstanceOf<AuthenticationException>());
    }

    [Test]
    public void Tls_certificates_are_refused_by_a_client_trusting_another_CA_or_expecting_another_name()
    {
        Assert.That(async () => await RawStomp.ConnectAsync(Brokers.RabbitTlsNodes[0], Wait, RawStomp.TlsOptions(Brokers.OtherCaFile)),
            Throws.InstanceOf<AuthenticationException>());
        Assert.That(async () => await RawStomp.ConnectAsync(Brokers.ActiveMqTls, Wait, RawStomp.TlsOptions(Brokers.CaFile, "wrong.example")),
            Throws.InstanceOf<AuthenticationException>());
    }
}
