using System.Security.Authentication;
using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Integration;

/// <summary>
/// The single-node client over TLS to the brokers' TLS listeners (docs/brokers.md, "TLS"):
/// messages flow, mutual TLS works, and each way the handshake can be refused gives its
/// own reason.
/// </summary>
[TestFixture]
public sealed class TlsClientBrokerTests : BrokerFixture
{
    private static string NewQueue() => $"/queue/stomper-tls-{Guid.NewGuid():N}";

    private static Endpoint Node(string broker) => broker == "rabbit" ? Brokers.RabbitTlsNodes[0] : Brokers.ActiveMqTls;

    /// <summary>Sends one message to a fresh queue and returns it as the subscriber got it, acknowledged with a RECEIPT.</summary>
    private Frame RoundTrip(StomperClient client)
    {
        var queue = NewQueue();
        var received = Loop.Cv();
        Subscribed(client, new() { ["id"] = "s1", ["destination"] = queue, ["ack"] = "client-individual", OnMessage = m => received.Send(m) });

        var sent = Loop.Cv();
        client.Send(new() { ["destination"] = queue, ["receipt"] = "auto", Body = "over TLS" }, (_, err) => sent.Send(err));
        Assert.That(Wait(sent)[0], Is.Null, "the SEND's RECEIPT");
        var message = (Frame)Wait(received)[0]!;

        var acked = Loop.Cv();
        client.Ack(new() { Message = message, ["receipt"] = "auto" }, (_, err) => acked.Send(err));
        Assert.That(Wait(acked)[0], Is.Null, "the ACK's RECEIPT");
        return message;
    }

    /// <summary>
    /// Connects with <paramref name="handleParams"/> where the connection must fail, and
    /// returns the error on_error got; a SEND queued meanwhile must be aborted with it.
    /// on_connect (a connection made, TLS handshake included) must be called only when
    /// <paramref name="handshakeCompletes"/>.
    /// </summary>
    private StompError ConnectFails(Endpoint node, HandleParams handleParams, bool handshakeCompletes = false)
    {
        var failed = Loop.Cv();
        var connected = false;
        using var client = Client(node, handleParams, onError: e => failed.Send(e));
        client.OnConnect = () => connected = true;
        var aborted = Loop.Cv();
        client.Send(new() { ["destination"] = NewQueue(), Body = "never sent" }, (_, err) => aborted.Send(err));

        var error = (StompError)Wait(failed)[0]!;
        var abort = (StompError?)Wait(aborted)[0];
        Assert.That(connected, Is.EqualTo(handshakeCompletes), "on_connect called");
        Assert.That(abort?.Message, Is.EqualTo($"Operation \"SEND\" aborted: {error.Message}"));
        TestContext.Out.WriteLine($"{error.Code}: {error.Message}");
        return error;
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public void A_message_sent_over_TLS_reaches_its_subscriber_and_its_ACK_is_receipted(string broker)
    {
        using var client = Client(Node(broker), Brokers.Tls());

        var message = RoundTrip(client);

        Assert.That(message.Body, Is.EqualTo("over TLS"));
        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_2));
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public void A_peer_name_the_certificate_names_as_a_DNS_name_is_accepted(string broker)
    {
        using var client = Client(Node(broker), Brokers.Tls(peername: "localhost"));

        Assert.That(RoundTrip(client).Body, Is.EqualTo("over TLS"));
    }

    [TestCase(SslProtocols.Tls12)]
    [TestCase(SslProtocols.Tls13)]
    public void Each_TLS_version_asked_for_carries_messages(SslProtocols protocol)
    {
        using var client = Client(Brokers.RabbitTlsNodes[1], Brokers.Tls(protocols: protocol));

        Assert.That(RoundTrip(client).Body, Is.EqualTo("over TLS"));
    }

    [Test]
    public void Mutual_TLS_with_the_client_certificate_carries_messages()
    {
        using var client = Client(Brokers.ActiveMqMutualTls, Brokers.Tls(clientCertificate: true));

        Assert.That(RoundTrip(client).Body, Is.EqualTo("over TLS"));
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public void A_broker_certificate_from_an_untrusted_CA_fails_the_connect_naming_the_untrusted_root(string broker)
    {
        var node = Node(broker);

        var error = ConnectFails(node, Brokers.Tls(caFile: Brokers.OtherCaFile));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to {node}: "));
        Assert.That(error.Message, Does.Match("(?i)untrustedroot|not trusted"));
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public void A_peer_name_the_certificate_does_not_name_fails_the_connect_naming_the_mismatch(string broker)
    {
        var node = Node(broker);

        var error = ConnectFails(node, Brokers.Tls(peername: "wrong.example"));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to {node}: "));
        Assert.That(error.Message, Does.Match("(?i)namemismatch|name"));
    }

    [Test]
    public void Without_a_client_certificate_the_mutual_TLS_listener_refuses_a_TLS_1_2_handshake_naming_the_certificate()
    {
        // In TLS 1.2 the server's verdict on the client certificate comes inside the handshake.
        var node = Brokers.ActiveMqMutualTls;

        var error = ConnectFails(node, Brokers.Tls(protocols: SslProtocols.Tls12));

        Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Does.StartWith($"Can't connect to {node}: "));
        Assert.That(error.Message, Does.Match("(?i)bad.certificate|certificate.required"));
    }

    [Test]
    public void Without_a_client_certificate_the_mutual_TLS_listener_fails_a_TLS_1_3_connection_before_CONNECTED_naming_the_certificate()
    {
        // In TLS 1.3 the client's side of the handshake ends before the server has checked
        // the client's (missing) certificate: the connection is made (on_connect), and the
        // server's alert arrives as the answer to CONNECT, a read error, as in the original
        // (AnyEvent::Handle reports it from its read).
        var node = Brokers.ActiveMqMutualTls;

        var error = ConnectFails(node, Brokers.Tls(protocols: SslProtocols.Tls13), handshakeCompletes: true);

        Assert.That(error.Code, Is.EqualTo(E_IO));
        Assert.That(error.Message, Does.Match("(?i)bad.certificate|certificate.required"));
    }

    [Test]
    public void A_paused_broker_stalls_the_TLS_handshake_until_connection_timeout_cuts_it()
    {
        // A stopped node's kernel still accepts the TCP connection; the ClientHello is
        // never answered.
        var node = Brokers.RabbitTlsNodes[2];
        var failed = Loop.Cv();
        var connected = false;
        Brokers.Pause("rabbit3");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var client = Client(node, Brokers.Tls(), onError: e => failed.Send(e, clock.Elapsed.TotalSeconds), connectionTimeout: 1);
            client.OnConnect = () => connected = true;

            var result = Wait(failed);

            var error = (StompError)result[0]!;
            Assert.That(error.Code, Is.EqualTo(E_CANT_CONN));
            Assert.That(error.Message, Is.EqualTo($"Can't connect to {node}: Connection timed out"));
            Assert.That((double)result[1]!, Is.InRange(0.9, 3.0), "cut after connection_timeout");
            Assert.That(connected, Is.False);
        }
        finally
        {
            Brokers.Resume("rabbit3");
            Brokers.EnsureHealthy();
        }
    }
}
