using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>
/// PauseReading/ResumeReading: a consumer that cannot keep up holds the server back
/// without being taken for dead by its own heart-beat read timeout.
/// </summary>
[TestFixture]
public sealed class ClientPauseReadingTests
{
    private static ClientHarness Harness(int cx = 0, int cy = 0) => new(o => o.ConnectionWith(new()
    {
        OnError = o.OnError, OnDisconnect = o.OnDisconnect,
        OnConnect = o.OnConnect, Heartbeat = [cx, cy],
    }));

    private static List<string> Subscribed(ClientHarness h, Action<Frame>? also = null)
    {
        var bodies = new List<string>();
        h.Client.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, msg =>
        {
            bodies.Add(msg.Body);
            also?.Invoke(msg);
        });
        h.ReceiptForLastSent();
        return bodies;
    }

    private static List<string> PausingAfterM1(ClientHarness h) => Subscribed(h, msg =>
    {
        if (msg.Body == "m1")
        {
            h.Client.PauseReading();
        }
    });

    private static string Message(string body) => $"MESSAGE\nsubscription:s1\nmessage-id:{body}\ndestination:/queue/a\n\n{body}\0";

    [Test]
    public void A_pause_from_a_message_callback_holds_back_the_frames_of_the_same_read()
    {
        using var h = Harness();
        h.Connect();
        var bodies = PausingAfterM1(h);

        h.Transport.Arrive(Message("m1") + Message("m2") + Message("m3"));
        h.Step();

        Assert.That(bodies, Is.EqualTo(new[] { "m1" }));
        Assert.That(h.Transport.Readable, Is.Null, "the socket is not watched while paused");
    }

    [Test]
    public void Resuming_dispatches_the_frames_already_read_and_watches_the_socket_again()
    {
        using var h = Harness();
        h.Connect();
        var bodies = PausingAfterM1(h);
        h.Transport.Arrive(Message("m1") + Message("m2"));

        h.Client.ResumeReading();
        h.Step();
        h.Transport.Arrive(Message("m3"));

        Assert.That(bodies, Is.EqualTo(new[] { "m1", "m2", "m3" }));
        Assert.That(h.Client.IsReadingPaused, Is.False);
    }

    [Test]
    public void A_resume_taken_back_by_a_pause_before_the_next_pass_dispatches_nothing_already_read()
    {
        using var h = Harness();
        h.Connect();
        var bodies = PausingAfterM1(h);
        h.Transport.Arrive(Message("m1") + Message("m2"));

        // The resume postpones a read of what is buffered; the pause before that pass holds it back.
        h.Client.ResumeReading();
        h.Client.PauseReading();
        h.Step();

        Assert.That(bodies, Is.EqualTo(new[] { "m1" }));

        h.Client.ResumeReading();
        h.Step();

        Assert.That(bodies, Is.EqualTo(new[] { "m1", "m2" }));
    }

    [Test]
    public void Time_spent_paused_does_not_count_against_the_heart_beat_read_timeout()
    {
        using var h = Harness(cy: 1000);
        h.Connect(heartBeat: "1000,0");

        // Dead after 3 s of silence; paused for a minute, the client still counts it alive.
        h.Client.PauseReading();
        for (var i = 0; i < 60; i++)
        {
            h.Step(1);
        }

        Assert.That(h.Client.IsConnected, Is.True);
        h.Client.ResumeReading();
        h.Step(2.9);
        Assert.That(h.Client.IsConnected, Is.True, "the count starts afresh at the resume");
        h.Step(0.1);
        Assert.That(h.Trace, Is.EqualTo(new[] { "on_connect", "on_error: Read timed out.", "on_disconnect" }));
    }

    [Test]
    public void A_paused_client_keeps_sending_heart_beats()
    {
        using var h = Harness(cx: 1000);
        h.Connect(heartBeat: "0,1000");
        h.Client.PauseReading();
        var before = h.Transport.SentText.Length;

        h.Step(1);
        h.Step(1);

        Assert.That(h.Transport.SentText[before..], Is.EqualTo("\n\n"));
    }

    [Test]
    public void A_pause_outlives_a_reconnect_and_takes_effect_once_logged_in()
    {
        using var h = Harness();
        h.Connect();
        h.Client.PauseReading();
        h.Client.ForceDisconnect();
        h.Client.Send(new() { ["destination"] = "/queue/a" });
        h.Step();

        Assert.That(h.Transports, Has.Count.EqualTo(2));
        h.Connect();
        Assert.That(h.Client.IsConnected, Is.True, "CONNECTED is read despite the pause");
        Assert.That(h.Transport.Readable, Is.Null, "then reading stops");
    }

    [Test]
    public void OnLogin_runs_once_CONNECTED_arrives_after_the_queued_commands_are_written()
    {
        var seen = new List<string>();
        using var h = Harness();
        h.Client.OnLogin = () => seen.Add($"login {h.Client.Session} {h.Sent().Count(f => f.Command == "SEND")}");
        h.Client.Send(new() { ["destination"] = "/queue/a" });

        h.Connect();

        Assert.That(seen, Is.EqualTo(new[] { "login S1 1" }));
    }

    [Test]
    public void Pausing_and_resuming_off_the_loop_thread_is_refused()
    {
        using var h = Harness();
        h.Connect();
        h.Step();
        Exception? pause = null;
        var thread = new Thread(() => pause = Record(h.Client.PauseReading));
        thread.Start();
        thread.Join();

        Assert.That(pause, Is.InstanceOf<InvalidOperationException>());
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
