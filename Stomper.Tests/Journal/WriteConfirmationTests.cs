using NUnit.Framework;
using Stomper.Tests.Client;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>
/// Write confirmations and the in-doubt flag on the single client (issue 14, item 4): a
/// receipt-less command the socket took is never reported aborted, and an aborted command
/// says whether its frame may have reached the broker.
/// </summary>
[TestFixture]
public sealed class WriteConfirmationTests
{
    [Test]
    public void A_receipt_less_SEND_written_before_the_connection_fails_is_confirmed_first_not_aborted()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));

        // The socket took the frame; its confirmation waits for the next pass, and the
        // connection ends before it.
        h.Transport.ArriveEof();
        h.Step();

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "send: sent", "on_error: Connection closed by remote host.", "on_disconnect" }));
    }

    [Test]
    public void A_receipt_less_SEND_the_socket_did_not_take_is_aborted_and_certainly_not_delivered()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Transport.SendCapacity = 0;
        StompError? answer = null;
        h.Client.Send(new() { ["destination"] = "/queue/a" }, (_, e) => answer = e);

        h.Transport.ArriveEof();
        h.Step();

        Assert.That(answer?.Message, Is.EqualTo("Operation \"SEND\" aborted: Connection closed by remote host."));
        Assert.That(answer!.MayHaveBeenDelivered, Is.False);
    }

    [Test]
    public void A_SEND_awaiting_its_RECEIPT_when_the_connection_fails_may_have_been_delivered()
    {
        using var h = new ClientHarness();
        h.Connect();
        StompError? answer = null;
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => answer = e);

        h.Transport.ArriveEof();
        h.Step();

        Assert.That((answer?.Code, answer?.MayHaveBeenDelivered), Is.EqualTo(((ErrorCode?)E_CONN_CLOSED_BY_REMOTE_HOST, (bool?)true)));
    }

    [Test]
    public void A_receipted_SEND_still_in_the_write_buffer_when_the_connection_fails_certainly_was_not_delivered()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Transport.SendCapacity = 0;
        StompError? answer = null;
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => answer = e);

        h.Transport.ArriveEof();
        h.Step();

        Assert.That(answer?.MayHaveBeenDelivered, Is.False);
    }

    [Test]
    public void A_SEND_queued_before_the_login_is_aborted_certainly_undelivered()
    {
        using var h = new ClientHarness();
        StompError? answer = null;
        h.Client.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, (_, e) => answer = e);

        h.Transport.ConnectCompleted!("Connection refused");
        h.Step();

        Assert.That((answer?.Code, answer?.MayHaveBeenDelivered), Is.EqualTo(((ErrorCode?)E_CANT_CONN, (bool?)false)));
    }

    [Test]
    public void Dispose_does_not_warn_about_a_receipt_less_command_already_written()
    {
        using var h = new ClientHarness();
        h.Connect();
        h.Client.Send(new() { ["destination"] = "/queue/a" }, h.Record("send"));
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            h.Client.Dispose();
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.That(error.ToString(), Is.Empty);
    }
}
