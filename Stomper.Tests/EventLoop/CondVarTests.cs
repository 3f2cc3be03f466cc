using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

[TestFixture]
public sealed class CondVarTests
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
    public void Recv_runs_the_loop_until_send_and_returns_the_values_sent()
    {
        var cv = _loop.Cv();
        using var timer = _loop.Timer(0, 0, () => cv.Send("answer", 42));

        var values = cv.Recv();

        Assert.That(values, Is.EqualTo(new object[] { "answer", 42 }));
        Assert.That(cv.Ready, Is.True);
    }

    [Test]
    public void Recv_of_a_type_returns_the_first_value_as_Perl_does_in_scalar_context()
    {
        var cv = _loop.Cv();
        cv.Send(7, "ignored");

        Assert.That(cv.Recv<int>(), Is.EqualTo(7));
    }

    [Test]
    public void Recv_rethrows_the_exception_given_to_croak_every_time()
    {
        var cv = _loop.Cv();
        var error = new InvalidOperationException("broker went away");
        using var timer = _loop.Timer(0, 0, () => cv.Croak(error));

        Assert.That(() => cv.Recv(), Throws.InvalidOperationException.And.SameAs(error));
        Assert.That(() => cv.Recv(), Throws.InvalidOperationException.And.SameAs(error));
    }

    [Test]
    public void Croak_with_text_makes_recv_throw_that_text()
    {
        var cv = _loop.Cv();
        cv.Croak("no luck");

        Assert.That(() => cv.Recv(), Throws.TypeOf<CondVarCroakedException>().With.Message.EqualTo("no luck"));
    }

    [Test]
    public void End_sends_once_every_begin_has_been_matched()
    {
        var cv = _loop.Cv();
        cv.Begin();
        cv.Begin();
        cv.Begin();

        cv.End();
        cv.End();
        Assert.That(cv.Ready, Is.False);

        cv.End();
        Assert.That(cv.Ready, Is.True);
    }

    [Test]
    public void End_calls_the_group_callback_instead_of_sending_when_begin_was_given_one()
    {
        var cv = _loop.Cv();
        var groupCalls = 0;
        cv.Begin(c =>
        {
            groupCalls++;
            c.Send("all done");
        });
        cv.Begin();

        cv.End();
        Assert.That(groupCalls, Is.Zero);
        cv.End();

        Assert.That(groupCalls, Is.EqualTo(1));
        Assert.That(cv.Recv<string>(), Is.EqualTo("all done"));
    }

    [Test]
    public void End_without_begin_is_an_error()
    {
        var cv = _loop.Cv();

        Assert.Throws<InvalidOperationException>(() => cv.End());
    }

    [Test]
    public void The_callback_runs_once_when_sent_and_at_once_when_set_on_a_ready_variable()
    {
        var calls = new List<string>();
        var cv = _loop.Cv(_ => calls.Add("constructor cb"));
        cv.Send();
        cv.Send();
        Assert.That(calls, Is.EqualTo(new[] { "constructor cb" }));

        cv.Cb = _ => calls.Add("late cb");
        Assert.That(calls, Is.EqualTo(new[] { "constructor cb", "late cb" }));
    }

    [Test]
    public void Recv_inside_a_callback_throws_instead_of_waiting_forever()
    {
        var outer = _loop.Cv();
        var inner = _loop.Cv();
        using var timer = _loop.Timer(0, 0, () =>
        {
            try
            {
                inner.Recv();
            }
            catch (InvalidOperationException e)
            {
                outer.Send(e.Message);
            }
        });

        Assert.That(outer.Recv<string>(), Does.Contain("inside one of its own callbacks"));
    }

    [Test]
    public void Recv_on_another_thread_waits_for_the_loop_thread_to_send()
    {
        using var loop = new Loop();
        var cv = loop.Cv();
        var stop = loop.Cv();
        var loopThread = new Thread(() => stop.Recv());
        loopThread.Start();
        while (!loop.IsRunning)
        {
            Thread.Yield();
        }

        loop.Post(() => cv.Send(Environment.CurrentManagedThreadId));
        var sentBy = cv.Recv<int>();
        loop.Post(() => stop.Send());
        loopThread.Join();

        Assert.That(sentBy, Is.EqualTo(loopThread.ManagedThreadId));
    }

    [Test]
    public void An_exception_thrown_by_a_callback_leaves_recv_and_the_loop_stays_usable()
    {
        var cv = _loop.Cv();
        using var bad = _loop.Timer(0, 0, () => throw new InvalidOperationException("callback died"));

        Assert.That(() => cv.Recv(), Throws.InvalidOperationException.With.Message.EqualTo("callback died"));

        using var good = _loop.Timer(0, 0, () => cv.Send("still alive"));
        Assert.That(cv.Recv<string>(), Is.EqualTo("still alive"));
    }

    [Test]
    public void With_an_unhandled_exception_handler_the_loop_reports_and_carries_on()
    {
        var seen = new List<Exception>();
        _loop.UnhandledException = seen.Add;
        var cv = _loop.Cv();
        using var bad = _loop.Timer(0, 0, () => throw new InvalidOperationException("callback died"));
        using var good = _loop.Timer(0, 0, () => cv.Send("next callback ran"));

        Assert.That(cv.Recv<string>(), Is.EqualTo("next callback ran"));
        Assert.That(seen.Single().Message, Is.EqualTo("callback died"));
    }
}
