using EventLoop;
using NUnit.Framework;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Review;

[TestFixture]
public sealed class HandleWriteTimeoutTests
{
    [Test]
    public void The_write_timeout_counts_from_when_data_started_to_wait_not_from_the_last_check()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var transport = new ScriptedTransport();
        var timeouts = 0;
        using var handle = new Handle(loop, transport.Options(new()
        {
            WTimeout = 2,
            OnWTimeout = _ => timeouts++,
        }));
        transport.ConnectCompleted!(null);

        Step(1);
        transport.SendCapacity = 0;
        handle.PushWrite("stuck");
        Step(1);
        Assert.That(timeouts, Is.Zero, "the data has waited one second of two");

        Step(1);
        Assert.That(timeouts, Is.EqualTo(1));

        void Step(double seconds)
        {
            clock.Advance(seconds);
            loop.RunOnce(block: false);
        }
    }
}
