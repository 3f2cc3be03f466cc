using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

[TestFixture]
public sealed class TimerTests
{
    private FakeClock _clock = null!;
    private Loop _loop = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeClock();
        _loop = new Loop(_clock);
    }

    [TearDown]
    public void TearDown() => _loop.Dispose();

    [Test]
    public void Timers_fire_in_order_of_their_deadlines_not_of_their_creation()
    {
        var fired = new List<string>();
        using var late = _loop.Timer(3, 0, () => fired.Add("3s"));
        using var early = _loop.Timer(1, 0, () => fired.Add("1s"));
        using var middle = _loop.Timer(2.5, 0, () => fired.Add("2.5s"));

        _clock.Advance(10);
        _loop.RunOnce(block: false);

        Assert.That(fired, Is.EqualTo(new[] { "1s", "2.5s", "3s" }));
    }

    [Test]
    public void Timers_due_at_the_same_moment_fire_in_the_order_they_were_created()
    {
        var fired = new List<int>();
        var timers = Enumerable.Range(0, 5).Select(i => _loop.Timer(1, 0, () => fired.Add(i))).ToList();

        _clock.Advance(1);
        _loop.RunOnce(block: false);

        Assert.That(fired, Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        timers.ForEach(t => t.Dispose());
    }

    [Test]
    public void A_timer_does_not_fire_before_its_fractional_deadline()
    {
        var fired = 0;
        using var timer = _loop.Timer(0.25, 0, () => fired++);

        _clock.Advance(0.2499);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.Zero);

        _clock.Advance(0.0001);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(1));
    }

    [Test]
    public void A_one_shot_timer_fires_once()
    {
        var fired = 0;
        using var timer = _loop.Timer(1, 0, () => fired++);

        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(1);
            _loop.RunOnce(block: false);
        }

        Assert.That(fired, Is.EqualTo(1));
    }

    [Test]
    public void A_repeating_timer_fires_at_every_interval_until_disposed()
    {
        var firedAt = new List<double>();
        var timer = _loop.Timer(1, 0.5, () => firedAt.Add(_clock.MonotonicSeconds));

        for (var i = 0; i < 8; i++)
        {
            _clock.Advance(0.25);
            _loop.RunOnce(block: false);
        }

        timer.Dispose();
        _clock.Advance(5);
        _loop.RunOnce(block: false);

        Assert.That(firedAt, Is.EqualTo(new[] { 1.0, 1.5, 2.0 }));
    }

    [Test]
    public void A_repeating_timer_held_up_by_the_loop_fires_once_and_does_not_burst_to_catch_up()
    {
        var fired = 0;
        using var timer = _loop.Timer(1, 1, () => fired++);

        _clock.Advance(10);
        _loop.RunOnce(block: false);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(1));

        _clock.Advance(1);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(2));
    }

    [Test]
    public void A_timer_disposed_inside_its_own_callback_never_fires_again()
    {
        var fired = 0;
        TimerWatcher? timer = null;
        timer = _loop.Timer(1, 1, () =>
        {
            fired++;
            timer!.Dispose();
        });

        for (var i = 0; i < 4; i++)
        {
            _clock.Advance(1);
            _loop.RunOnce(block: false);
        }

        Assert.That(fired, Is.EqualTo(1));
        Assert.That(timer.IsActive, Is.False);
    }

    [Test]
    public void A_timer_disposed_by_an_earlier_callback_of_the_same_pass_does_not_fire()
    {
        var fired = new List<string>();
        TimerWatcher? second = null;
        using var first = _loop.Timer(1, 0, () =>
        {
            fired.Add("first");
            second!.Dispose();
        });
        second = _loop.Timer(1, 0, () => fired.Add("second"));

        _clock.Advance(1);
        _loop.RunOnce(block: false);

        Assert.That(fired, Is.EqualTo(new[] { "first" }));
    }

    [Test]
    public void A_zero_timer_armed_inside_a_callback_waits_for_the_next_pass()
    {
        var fired = new List<string>();
        var inner = new List<TimerWatcher>();
        using var outer = _loop.Timer(0, 0, () =>
        {
            fired.Add("outer");
            inner.Add(_loop.Timer(0, 0, () => fired.Add("inner")));
        });

        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(new[] { "outer" }));

        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(new[] { "outer", "inner" }));
    }

    [Test]
    public void Disposing_many_long_timers_does_not_grow_the_timer_queue_without_bound()
    {
        using var keeper = _loop.Timer(1000, 0, () => { });
        for (var i = 0; i < 100_000; i++)
        {
            _loop.Timer(3600, 0, () => { }).Dispose();
        }

        Assert.That(_loop.TimerQueueLength, Is.LessThan(200));
    }

    [Test]
    public void Now_is_cached_for_the_pass_until_now_update_and_time_reads_the_clock()
    {
        var start = _loop.Now();
        _clock.Advance(2);

        Assert.That(_loop.Now(), Is.EqualTo(start));
        Assert.That(_loop.Time(), Is.EqualTo(start + 2));

        _loop.NowUpdate();
        Assert.That(_loop.Now(), Is.EqualTo(start + 2));
    }

    [Test]
    public void Timers_armed_inside_a_callback_count_from_the_passes_cached_now_as_in_AnyEvent()
    {
        var fired = 0;
        var inner = new List<TimerWatcher>();
        using var outer = _loop.Timer(0, 0, () =>
        {
            // The callback "took" 5 s; without now_update the pass still believes it is the old time.
            _clock.Advance(5);
            inner.Add(_loop.Timer(5, 0, () => fired++));
        });
        _loop.RunOnce(block: false);

        _loop.RunOnce(block: false);

        Assert.That(fired, Is.EqualTo(1));
        inner.ForEach(t => t.Dispose());
    }

    [Test]
    public void Timers_armed_outside_the_loop_count_from_the_clocks_current_reading()
    {
        var fired = 0;
        _clock.Advance(5);

        // The loop sat idle for 5 s; a 5 s timeout armed now must not fire at once.
        using var timer = _loop.Timer(5, 0, () => fired++);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.Zero);

        _clock.Advance(5);
        _loop.RunOnce(block: false);
        Assert.That(fired, Is.EqualTo(1));
    }

    [Test]
    public void A_blocking_pass_on_the_real_clock_sleeps_until_the_nearest_timer()
    {
        using var loop = new Loop();
        var fired = false;
        using var timer = loop.Timer(0.02, 0, () => fired = true);

        var ran = loop.RunOnce(block: true);

        Assert.That(ran, Is.True);
        Assert.That(fired, Is.True);
    }

    [Test]
    public void Timer_arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _loop.Timer(1, -1, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _loop.Timer(double.NaN, 0, () => { }));
        Assert.Throws<ArgumentNullException>(() => _loop.Timer(1, 0, null!));
    }
}
