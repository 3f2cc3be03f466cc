using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Codec;

/// <summary>The facts of the original's t/01-accessors.t about error codes and the error object.</summary>
public class ErrorTests
{
    [Test]
    public void Error_codes_have_the_values_of_the_Perl_constants()
    {
        Assert.That((int)E_CANT_CONN, Is.EqualTo(1));
        Assert.That((int)E_IO, Is.EqualTo(2));
        Assert.That((int)E_CONN_CLOSED_BY_REMOTE_HOST, Is.EqualTo(3));
        Assert.That((int)E_CONN_CLOSED_BY_CLIENT, Is.EqualTo(4));
        Assert.That((int)E_OPRN_ERROR, Is.EqualTo(5));
        Assert.That((int)E_UNEXPECTED_DATA, Is.EqualTo(6));
        Assert.That((int)E_READ_TIMEDOUT, Is.EqualTo(7));
        Assert.That(Enum.GetValues<ErrorCode>().Count(c => (int)c <= 7), Is.EqualTo(7));
    }

    [Test]
    public void The_codes_beyond_the_original_follow_the_Perl_ones()
    {
        Assert.That((int)E_RECEIPT_TIMEDOUT, Is.EqualTo(8));
        Assert.That((int)E_SEND_JOURNAL_FULL, Is.EqualTo(9));
        Assert.That(Enum.GetValues<ErrorCode>().Select(c => (int)c), Is.Unique);
    }

    [Test]
    public void An_error_object_has_message_code_and_frame()
    {
        var frame = new Frame("ERROR", new FrameHeaders(("message", "Some error")), "Error explanation");

        var error = new StompError("Some error", E_OPRN_ERROR, frame);

        Assert.That(error.Message, Is.EqualTo("Some error"));
        Assert.That(error.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Frame, Is.SameAs(frame));
        Assert.That(error.ToString(), Is.EqualTo("Some error"));
    }

    [Test]
    public void An_error_without_an_ERROR_frame_has_a_null_frame()
    {
        var error = new StompError("Read timed out.", E_READ_TIMEDOUT);

        Assert.That(error.Frame, Is.Null);
    }

    [Test]
    public void Argument_errors_carry_the_Perl_texts_to_the_letter()
    {
        Assert.That(Errors.HeartbeatNotArray().Message, Is.EqualTo("\"heartbeat\" must be specified as array reference"));
        Assert.That(Errors.HeartbeatNotIntegers().Message, Is.EqualTo("\"heartbeat\" values must be an integer numbers"));
        Assert.That(Errors.CommandHeadersNotHash().Message, Is.EqualTo("\"command_headers\" must be specified as hash reference"));
        Assert.That(Errors.ConnectionTimeoutNotPositive().Message, Is.EqualTo("\"connection_timeout\" must be a positive number"));
        Assert.That(Errors.ReconnectIntervalNotPositive().Message, Is.EqualTo("\"reconnect_interval\" must be a positive number"));
        Assert.That(Errors.OnMessageNotSpecified().Message, Is.EqualTo("\"on_message\" callback must be specified"));
        Assert.That(Errors.MessageNotSpecified().Message, Is.EqualTo("\"message\" parameter must be specified"));
        Assert.That(Errors.NodesNotSpecified().Message, Is.EqualTo("Nodes not specified"));
        Assert.That(Errors.NodesNotArray().Message, Is.EqualTo("Nodes must be specified as array reference"));
        Assert.That(Errors.NodesEmpty().Message, Is.EqualTo("Specified empty list of nodes"));
        Assert.That(Errors.NodesEmpty(), Is.TypeOf<ArgumentException>());
    }

    [Test]
    public void Connection_errors_carry_the_Perl_texts_and_codes()
    {
        AssertError(Errors.CantConnect("localhost", 61613, "Connection refused"), "Can't connect to localhost:61613: Connection refused", E_CANT_CONN);
        AssertError(Errors.Io("Connection reset by peer"), "Connection reset by peer", E_IO);
        AssertError(Errors.ConnectionClosedByRemoteHost(), "Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST);
        AssertError(Errors.ConnectionClosedByClient(), "Connection closed by client prematurely.", E_CONN_CLOSED_BY_CLIENT);
        AssertError(Errors.ReadTimedOut(), "Read timed out.", E_READ_TIMEDOUT);
    }

    [Test]
    public void Operation_errors_carry_the_Perl_texts_and_codes()
    {
        AssertError(Errors.UnexpectedAcknowledgement("ACK"), "Unexpected ACK sent.", E_OPRN_ERROR);
        AssertError(Errors.UnexpectedAcknowledgement("NACK"), "Unexpected NACK sent.", E_OPRN_ERROR);
        AssertError(Errors.UnknownSubscription("foo"), "Don't know how process MESSAGE frame. Unknown subscription \"foo\"", E_UNEXPECTED_DATA);
        AssertError(Errors.UnknownReceipt("R_1.2"), "Unknown RECEIPT frame received: receipt-id=R_1.2", E_UNEXPECTED_DATA);
        Assert.That(Errors.ClientDestroyedWarning("SUBSCRIBE"), Is.EqualTo("Operation \"SUBSCRIBE\" aborted: Client object destroyed prematurely."));
    }

    [Test]
    public void An_ERROR_frame_becomes_an_operation_error_with_its_message_header_and_the_frame()
    {
        var frame = new Frame("ERROR", new FrameHeaders(("message", "Access refused"), ("receipt-id", "R_1.1")), "detail");

        var error = Errors.ErrorFrame(frame);

        AssertError(error, "Access refused", E_OPRN_ERROR);
        Assert.That(error.Frame, Is.SameAs(frame));
    }

    [Test]
    public void Aborted_operations_and_lost_subscriptions_keep_the_causes_code_and_frame()
    {
        var frame = new Frame("ERROR", new FrameHeaders(("message", "Bad")));
        var cause = Errors.ErrorFrame(frame);

        var aborted = Errors.OperationAborted("SEND", cause);
        var lost = Errors.SubscriptionLost("foo", Errors.ConnectionClosedByRemoteHost());

        AssertError(aborted, "Operation \"SEND\" aborted: Bad", E_OPRN_ERROR);
        Assert.That(aborted.Frame, Is.SameAs(frame));
        AssertError(lost, "Subscription \"foo\" lost: Connection closed by remote host.", E_CONN_CLOSED_BY_REMOTE_HOST);
        Assert.That(lost.Frame, Is.Null);
        AssertError(Errors.OperationAborted("DISCONNECT", Errors.ConnectionClosedByClient()),
            "Operation \"DISCONNECT\" aborted: Connection closed by client prematurely.", E_CONN_CLOSED_BY_CLIENT);
    }

    [Test]
    public void A_session_ending_ERROR_reads_as_any_ERROR_and_its_aborted_and_lost_errors_stay_marked_as_ending_the_session()
    {
        var frame = new Frame("ERROR", new FrameHeaders(("message", "Connection closed")));

        var ended = Errors.ErrorFrame(frame, endedSession: true);
        var aborted = Errors.OperationAborted("SEND", ended);
        var lost = Errors.SubscriptionLost("foo", ended);

        AssertError(ended, "Connection closed", E_OPRN_ERROR);
        Assert.That(ended.Frame, Is.SameAs(frame));
        AssertError(aborted, "Operation \"SEND\" aborted: Connection closed", E_OPRN_ERROR);
        AssertError(lost, "Subscription \"foo\" lost: Connection closed", E_OPRN_ERROR);
        Assert.That(new[] { ended.EndedSession, aborted.EndedSession, lost.EndedSession }, Is.All.True);
        Assert.That(Errors.OperationAborted("SEND", Errors.ErrorFrame(frame)).EndedSession, Is.False);
    }

    [Test]
    public void Codec_errors_are_unexpected_data_with_a_common_prefix_and_printable_detail()
    {
        AssertError(Errors.UnknownCommand("BAD\u0001"u8), "Malformed frame received: unknown command \"BAD\\x01\"", E_UNEXPECTED_DATA);
        AssertError(Errors.UnknownCommand(new byte[100].Select(_ => (byte)'A').ToArray()),
            $"Malformed frame received: unknown command \"{new string('A', 64)}...\"", E_UNEXPECTED_DATA);
        AssertError(Errors.FrameTooLarge(16), "Malformed frame received: frame larger than 16 bytes", E_UNEXPECTED_DATA);
        AssertError(Errors.TooManyHeaders(2), "Malformed frame received: more than 2 headers", E_UNEXPECTED_DATA);
        AssertError(Errors.HeaderLineTooLong(3), "Malformed frame received: header line longer than 3 bytes", E_UNEXPECTED_DATA);
        AssertError(Errors.CommandLineTooLong(4), "Malformed frame received: command line longer than 4 bytes", E_UNEXPECTED_DATA);
        AssertError(Errors.MissingNulAfterBody(), "Malformed frame received: the body of content-length bytes is not followed by NUL", E_UNEXPECTED_DATA);
        AssertError(Errors.InvalidContentLength("x y"), "Malformed frame received: invalid content-length \"x y\"", E_UNEXPECTED_DATA);
    }

    private static void AssertError(StompError error, string message, ErrorCode code)
    {
        Assert.That(error.Message, Is.EqualTo(message));
        Assert.That(error.Code, Is.EqualTo(code));
    }
}
