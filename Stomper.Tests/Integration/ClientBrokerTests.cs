using EventLoop;
using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Integration;

/// <summary>The single-node client against the real RabbitMQ cluster and ActiveMQ.</summary>
[TestFixture]
public sealed class ClientBrokerTests : BrokerFixture
{
    private static string NewQueue() => $"/queue/stomper-client-{Guid.NewGuid():N}";

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public void A_message_sent_through_the_client_reaches_its_subscriber(string broker)
    {
        var node = broker == "rabbit" ? Brokers.Rabbit(1) : Brokers.ActiveMq;
        using var client = Client(node);
        var queue = NewQueue();
        var received = Loop.Cv();
        Subscribed(client, new() { ["id"] = "s1", ["destination"] = queue, OnMessage = m => received.Send(m) });

        client.Send(new() { ["destination"] = queue, Body = "Hello, world!" });

        var message = (Frame)Wait(received)[0]!;
        Assert.That(message.Body, Is.EqualTo("Hello, world!"));
        Assert.That(client.Version, Is.EqualTo(StompVersion.V1_2));
    }

    [Test]
    public void A_binary_body_with_NULs_arrives_byte_exact()
    {
        using var client = Client(Brokers.Rabbit(2));
        var queue = NewQueue();
        var received = Loop.Cv();
        Subscribed(client, new() { ["id"] = "s1", ["destination"] = queue, OnMessage = m => received.Send(m) });
        byte[] body = [0, 1, 2, 3, 0, 0, 255, 254];

        client.Send(new() { ["destination"] = queue, BodyBytes = body });

        Assert.That(((Frame)Wait(received)[0]!).BodyBytes.ToArray(), Is.EqualTo(body));
    }

    [Test]
    public void A_receipted_send_gets_its_RECEIPT_from_the_broker()
    {
        using var client = Client(Brokers.Rabbit(1));
        var cv = Loop.Cv();

        client.Send(new() { ["destination"] = NewQueue(), ["receipt"] = "auto", Body = "x" }, (receipt, err) => cv.Send(receipt, err));

        var result = Wait(cv);
        Assert.That(result[1], Is.Null);
        Assert.That(((Frame)result[0]!).Command, Is.EqualTo("RECEIPT"));
    }

    [Test]
    public void Client_individual_ACK_and_NACK_are_accepted_and_a_NACKed_message_comes_back()
    {
        using var client = Client(Brokers.Rabbit(1));
        var queue = NewQueue();
        var deliveries = new List<Frame>();
        var cv = Loop.Cv();
        Subscribed(client, new()
        {
            ["id"] = "s1",
            ["destination"] = queue,
            ["ack"] = "client-individual",
            OnMessage = m =>
            {
                deliveries.Add(m);
                if (deliveries.Count == 1)
                {
                    client.Nack(new() { Message = m, ["receipt"] = "auto" }, (_, err) => Assert.That(err, Is.Null));
                }
                else
                {
                    client.Ack(new() { Message = m, ["receipt"] = "auto" }, (receipt, err) => cv.Send(receipt, err));
                }
            },
        });

        client.Send(new() { ["destination"] = queue, Body = "twice" });

        var result = Wait(cv);
        Assert.That(result[1], Is.Null);
        Assert.That(deliveries.Select(d => d.Body), Is.EqualTo(new[] { "twice", "twice" }));
        Assert.That(deliveries[1].Headers["redelivered"], Is.EqualTo("true"));
    }

    [Test]
    public void A_committed_transaction_delivers_and_an_aborted_one_discards()
    {
        using var client = Client(Brokers.Rabbit(1));
        var queue = NewQueue();
        var bodies = new List<string>();
        var done = Loop.Cv();
        Subscribed(client, new()
        {
            ["id"] = "s1",
            ["destination"] = queue,
            OnMessage = m =>
            {
                bodies.Add(m.Body);
                if (m.Body == "last")
                {
                    done.Send();
                }
            },
        });

        client.Begin(new() { ["transaction"] = "tx-abort" });
        client.Send(new() { ["destination"] = queue, ["transaction"] = "tx-abort", Body = "discarded" });
        client.Abort(new() { ["transaction"] = "tx-abort" });
        client.Begin(new() { ["transaction"] = "tx-commit" });
        client.Send(new() { ["destination"] = queue, ["transaction"] = "tx-commit", Body = "committed" });
        client.Commit(new() { ["transaction"] = "tx-commit" });
        client.Send(new() { ["destination"] = queue, Body = "last" });

        Wait(done);
        Assert.That(bodies, Is.EqualTo(new[] { "committed", "last" }));
    }

    [Test]
    public void An_ERROR_from_the_broker_for_a_refused_destination_fails_that_command()
    {
        using var client = Client(Brokers.Rabbit(1));
        var cv = Loop.Cv();

        client.Send(new() { ["destination"] = "/no-such-kind/x", ["receipt"] = "auto", Body = "x" }, (_, err) => cv.Send(err));

        var error = (StompError)Wait(cv)[0]!;
        Assert.That(error.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Frame?.Command, Is.EqualTo("ERROR"));
        Assert.That(error.Message, Is.Not.Empty);
    }

    [Test]
    public void DISCONNECT_with_receipt_closes_cleanly()
    {
        var disconnected = false;
        using var client = Client(Brokers.ActiveMq);
        client.OnDisconnect = () => disconnected = true;
        var cv = Loop.Cv();

        client.Send(new() { ["destination"] = NewQueue(), Body = "before" });
        client.Disconnect(null, (receipt, err) => cv.Send(receipt, err));

        var result = Wait(cv);
        Assert.That(result[1], Is.Null);
        Assert.That(disconnected, Is.True);
        Assert.That(client.IsConnected, Is.False);
    }

    [Test]
    public void Heart_beats_negotiated_with_the_broker_keep_the_connection_alive_past_three_intervals()
    {
        StompError? error = null;
        using var client = Client(Brokers.Rabbit(1), heartbeat: [500, 500], onError: e => error = e);
        var connected = Loop.Cv();
        client.OnConnect = () => connected.Send();
        client.Send(new() { ["destination"] = NewQueue(), Body = "hello" });
        Wait(connected);

        var idle = Loop.Cv();
        using var timer = Loop.Timer(2.0, 0, () => idle.Send());
        Wait(idle);

        Assert.That(error, Is.Null);
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public void A_paused_broker_trips_the_read_timeout()
    {
        var cv = Loop.Cv();
        using var client = Client(Brokers.Rabbit(3), heartbeat: [500, 500], onError: e => cv.Send(e));
        var connected = Loop.Cv();
        client.OnConnect = () => connected.Send();
        client.Send(new() { ["destination"] = NewQueue(), Body = "hello" });
        Wait(connected);

        Brokers.Pause("rabbit3");
        try
        {
            var error = (StompError)Wait(cv)[0]!;
            Assert.That(error.Code, Is.EqualTo(E_READ_TIMEDOUT));
            Assert.That(error.Message, Is.EqualTo("Read timed out."));
        }
        finally
        {
            Brokers.Resume("rabbit3");
        }
    }
}
