using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

[TestFixture]
public sealed class ClientAckTests
{
    private static (ClientHarness Harness, List<Frame> Messages) Subscribed(string version, string ackMode)
    {
        var h = new ClientHarness();
        h.Connect(version);
        var messages = new List<Frame>();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = ackMode }, messages.Add);
        h.ReceiptForLastSent();
        for (var i = 1; i <= 3; i++)
        {
            h.Transport.Arrive($"MESSAGE\nsubscription:s1\nmessage-id:m{i}\nack:a{i}\ndestination:/queue/a\n\nbody{i}\0");
        }

        return (h, messages);
    }

    [TestCase("1.0", "message-id", "m2", null)]
    [TestCase("1.1", "message-id", "m2", "s1")]
    [TestCase("1.2", "id", "a2", null)]
    public void ACK_by_message_carries_the_headers_its_version_wants(string version, string idHeader, string idValue, string? subscription)
    {
        var (h, messages) = Subscribed(version, "client-individual");
        using var _ = h;

        h.Client.Ack(new() { Message = messages[1] });

        var ack = h.LastSent();
        Assert.That(ack.Command, Is.EqualTo("ACK"));
        Assert.That(ack.Headers[idHeader], Is.EqualTo(idValue));
        Assert.That(ack.Headers["subscription"], Is.EqualTo(subscription));
    }

    [Test]
    public void An_ACK_of_a_message_not_pending_is_not_sent_and_fails_asynchronously()
    {
        var (h, messages) = Subscribed("1.2", "client-individual");
        using var _ = h;
        h.Client.Ack(new() { Message = messages[0] });
        var sentBefore = h.Sent().Count;
        StompError? error = null;

        h.Client.Ack(new() { Message = messages[0] }, (_, e) => error = e);
        Assert.That(error, Is.Null, "reported after the call returns");
        h.Step();

        Assert.That(error!.Message, Is.EqualTo("Unexpected ACK sent."));
        Assert.That(error.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(h.Sent(), Has.Count.EqualTo(sentBefore));
    }

    [Test]
    public void An_unexpected_NACK_without_a_callback_reaches_on_error()
    {
        var (h, messages) = Subscribed("1.2", "client-individual");
        using var _ = h;
        h.Client.Nack(new() { Message = messages[2] });

        h.Client.Nack(new() { Message = messages[2] });
        h.Step();

        Assert.That(h.Trace, Has.Member("on_error: Unexpected NACK sent."));
    }

    [Test]
    public void In_client_mode_acknowledging_a_message_settles_every_earlier_one()
    {
        var (h, messages) = Subscribed("1.2", "client");
        using var _ = h;
        h.Client.Ack(new() { Message = messages[1] });
        StompError? error = null;

        h.Client.Ack(new() { Message = messages[0] }, (_, e) => error = e);
        h.Step();

        Assert.That(error?.Message, Is.EqualTo("Unexpected ACK sent."));
        h.Client.Ack(new() { Message = messages[2] }, (_, e) => error = e);
        Assert.That(h.LastSent().Headers["id"], Is.EqualTo("a3"));
    }

    [Test]
    public void In_client_individual_mode_each_message_is_settled_on_its_own()
    {
        var (h, messages) = Subscribed("1.2", "client-individual");
        using var _ = h;
        h.Client.Ack(new() { Message = messages[2] });
        var errors = new List<StompError?>();

        h.Client.Ack(new() { Message = messages[0] }, (_, e) => errors.Add(e));
        h.Client.Nack(new() { Message = messages[1] }, (_, e) => errors.Add(e));
        h.Step();

        Assert.That(errors, Is.EqualTo(new StompError?[] { null, null }));
    }

    [Test]
    public void ACK_by_id_as_the_seed_does_passes_the_id_straight_through()
    {
        var (h, messages) = Subscribed("1.2", "client-individual");
        using var _ = h;

        h.Client.Ack(new() { ["id"] = messages[0].Headers["ack"], ["transaction"] = "tx1" });

        var ack = h.LastSent();
        Assert.That((ack.Headers["id"], ack.Headers["transaction"]), Is.EqualTo(("a1", "tx1")));
    }
}
