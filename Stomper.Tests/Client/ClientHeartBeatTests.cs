using NUnit.Framework;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Client;

/// <summary>Heart-beats on a fake clock: what flows, when, and when the server counts as dead.</summary>
[TestFixture]
public sealed class ClientHeartBeatTests
{
    private static ClientHarness Harness(int cx, int cy) => new(o => new StomperOptions
    {
        Host = o.Host, Port = o.Port, Loop = o.Loop, Transport = o.Transport, OnError = o.OnError, OnDisconnect = o.OnDisconnect,
        OnConnect = o.OnConnect, Heartbeat = [cx, cy],
    });

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
        using var h = new ClientHarness(o => new StomperOptions
        {
            Host = o.Host, Port = o.Port, Loop = o.Loop, Transport = o.Transport, Heartbeat = [0, 500], OnError = e => seen = e,
        });
        h.Connect(heartBeat: "500,0");

        h.Step(1.5);

        Assert.That(seen!.Code, Is.EqualTo(E_READ_TIMEDOUT));
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
