using NUnit.Framework;

namespace Stomper.Tests.Client;

/// <summary>Silence and ReadTimeout: how long the server has been quiet, as the heart-beat read timeout counts it.</summary>
[TestFixture]
public sealed class ClientSilenceTests
{
    [Test]
    public void Silence_counts_from_the_last_bytes_read_and_a_heart_beat_restarts_it()
    {
        using var h = ClientHeartBeatTests.Harness(cx: 0, cy: 1000);
        h.Connect(heartBeat: "2000,0");

        h.Step(1.5);
        Assert.That(h.Client.Silence, Is.EqualTo(TimeSpan.FromSeconds(1.5)));
        h.Transport.Arrive("\n");
        Assert.That(h.Client.Silence, Is.EqualTo(TimeSpan.Zero));
        h.Step(0.25);
        Assert.That(h.Client.Silence, Is.EqualTo(TimeSpan.FromSeconds(0.25)));
    }

    [Test]
    public void ReadTimeout_is_three_of_the_servers_agreed_beat_intervals()
    {
        using var h = ClientHeartBeatTests.Harness(cx: 0, cy: 1000);
        h.Connect(heartBeat: "2000,0");

        Assert.That(h.Client.ReadTimeout, Is.EqualTo(TimeSpan.FromSeconds(6)));
    }

    [Test]
    public void Without_agreed_beats_from_the_server_ReadTimeout_is_zero()
    {
        using var h = ClientHeartBeatTests.Harness(cx: 1000, cy: 0);
        h.Connect(heartBeat: "2000,1000");

        Assert.That(h.Client.ReadTimeout, Is.EqualTo(TimeSpan.Zero));
        Assert.That(h.Client.Silence, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void Before_the_session_and_after_it_ends_there_is_no_silence_to_count()
    {
        using var h = ClientHeartBeatTests.Harness(cx: 0, cy: 1000);
        Assert.That((h.Client.Silence, h.Client.ReadTimeout), Is.EqualTo(((TimeSpan?)null, TimeSpan.Zero)), "connecting");
        h.Connect(heartBeat: "1000,0");
        Assert.That(h.Client.Silence, Is.Not.Null);

        h.Client.ForceDisconnect();

        Assert.That((h.Client.Silence, h.Client.ReadTimeout), Is.EqualTo(((TimeSpan?)null, TimeSpan.Zero)));
    }

    [Test]
    public void Time_spent_with_reading_paused_is_not_counted_after_the_resume()
    {
        using var h = ClientHeartBeatTests.Harness(cx: 0, cy: 1000);
        h.Connect(heartBeat: "1000,0");
        h.Client.PauseReading();
        h.Step(2);

        h.Client.ResumeReading();
        h.Step(0.5);

        Assert.That(h.Client.Silence, Is.EqualTo(TimeSpan.FromSeconds(0.5)));
        Assert.That(h.Client.IsConnected, Is.True, "the pause did not time the session out");
    }
}
