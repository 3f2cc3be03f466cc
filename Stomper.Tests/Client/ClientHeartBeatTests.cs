using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>Heart-beats on a fake clock: what flows, when, and when the server counts as dead.</summary>
[TestFixture]
public sealed class ClientHeartBeatTests
{
    internal static ClientHarness Harness(int cx, int cy) => new(o => o.ConnectionWith(new()
    {
        OnError = o.OnError, OnDisconnect = o.OnDisconnect,
        OnConnect = o.OnConnect, Heartbeat = [cx, cy],
    }));

    [Test]
    public void The_client_beats_when_nothing_was_written_for_a_third_of_the_interval()
    {
        using var h = Harness(cx: 1000, cy: 0);
        h.Connect(heartBeat: "0,3000");
        var afterConnect = h.Transport.SentText.Length;

        // Interval max(1000, 3000) = 3 s, checked every second.
        h.Step(0.9);
        Assert.That(h.Transport.SentText.Length, Is.EqualTo(afterConnect));
        h.Step(0.1);
        Assert.That(h.Transport.SentText[afterConnect..], Is.EqualTo("\n"));
        h.Step(1);
        Assert.That(h.Transport.SentText[afterConnect..], Is.EqualTo("\n\n"));
    }

    [Test]
    public void The_client_does_not_beat_while_frames_keep_flowing()
    {
        using var h = Harness(cx: 1000, cy: 0);
        h.Connect(heartBeat: "0,1000");
        for (var i = 0; i < 10; i++)
        {
            h.Client.Send(new() { ["destination"] = "/queue/a" });
            h.Step(0.3);
        }

        Assert.That(h.Sent().Count(f => f.Command == "SEND"), Is.EqualTo(10));
        Assert.That(h.Transport.SentText.Contains("\0\n", StringComparison.Ordinal), Is.False, "no heart-beat between frames");
    }

    [Test]
    public void No_beats_flow_when_the_server_does_not_want_them()
    {
        using var h = Harness(cx: 1000, cy: 0);
        h.Connect(heartBeat: "0,0");
        var afterConnect = h.Transport.SentText.Length;

        h.Step(10);
        h.Step(10);

        Assert.That(h.Transport.SentText.Length, Is.EqualTo(afterConnect));
    }

    [Test]
    public void A_server_silent_for_three_intervals_is_a_read_timeout()
    {
        using var h = Harness(cx: 0, cy: 1000);
        h.Connect(heartBeat: "2000,0");

        // Expect data every max(1000, 2000) = 2 s; dead after 3 x 2 s of silence.
        h.Step(5);
        h.Transport.Arrive("\n");
        h.Step(5.9);
        Assert.That(h.Client.IsConnected, Is.True, "a beat 5.9 s ago keeps the connection");

        h.Step(0.1);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: Read timed out.", "on_disconnect" }));
    }

    [Test]
    public void A_read_timeout_error_has_code_E_READ_TIMEDOUT()
    {
        StompError? seen = null;
        using var h = new ClientHarness(o => o.ConnectionWith(new()
        {
            Heartbeat = [0, 500], OnError = e => seen = e,
        }));
        h.Connect(heartBeat: "500,0");

        h.Step(1.5);

        Assert.That(seen!.Code, Is.EqualTo(E_READ_TIMEDOUT));
    }

    [Test]
    public void A_huge_server_heart_beat_does_not_wrap_round_into_a_short_read_timeout()
    {
        using var h = Harness(cx: 0, cy: 1000);

        // 3 x 1431655766 is 2 more than 2^32: in 32-bit arithmetic, a 2 ms timeout.
        h.Connect(heartBeat: "1431655766,0");
        h.Step(60);

        Assert.That(h.Client.IsConnected, Is.True);
    }

    [Test]
    public void A_server_heart_beat_past_a_third_of_int_MaxValue_still_arms_the_read_timeout()
    {
        using var h = Harness(cx: 0, cy: 1000);

        // 3 x 715827883 ms passes int.MaxValue: in 32-bit arithmetic negative, and no timeout at all.
        h.Connect(heartBeat: "715827883,0");
        h.Step(2147483);
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(1);

        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: Read timed out.", "on_disconnect" }));
    }

    [TestCase("x,y")]
    [TestCase("-5,10")]
    [TestCase("1000")]
    [TestCase("")]
    public void A_malformed_heart_beat_header_fails_the_connection_when_beats_were_asked_for_and_is_ignored_otherwise(string header)
    {
        using (var asked = Harness(cx: 1000, cy: 0))
        {
            asked.Connect(heartBeat: header);

            Assert.That(asked.Trace, Is.EqualTo(new[]
            {
                "on_connect",
                $"on_error: Malformed frame received: heart-beat header \"{header}\" of CONNECTED is not two integers separated by a comma",
                "on_disconnect",
            }));
        }

        using var notAsked = Harness(cx: 0, cy: 0);
        notAsked.Connect(heartBeat: header);
        Assert.That(notAsked.Client.IsConnected, Is.True);
    }

    [Test]
    public void Blanks_around_the_heart_beat_values_are_read_as_the_original_reads_numbers()
    {
        using var h = Harness(cx: 0, cy: 1000);
        h.Connect(heartBeat: " 2000 , 0");

        h.Step(5.9);
        Assert.That(h.Client.IsConnected, Is.True);
        h.Step(0.1);
        Assert.That(h.Client.IsConnected, Is.False);
    }

    [Test]
    public void Beats_the_server_offers_but_the_client_did_not_ask_for_arm_no_timeout()
    {
        // The original armed the timeout here and dropped healthy idle connections.
        using var h = Harness(cx: 0, cy: 0);
        h.Connect(heartBeat: "1000,0");

        h.Step(60);

        Assert.That(h.Client.IsConnected, Is.True);
    }
}
