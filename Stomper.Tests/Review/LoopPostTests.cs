using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Review;

[TestFixture]
public sealed class LoopPostTests
{
    [Test]
    public void A_callback_posted_by_a_posted_callback_waits_for_the_next_pass()
    {
        // Otherwise a producer that posts as fast as the loop drains (another thread, or a
        // callback that re-posts itself) keeps one pass running forever: timers and
        // sockets are never served again.
        using var loop = new Loop(new FakeClock());
        var runs = 0;
        void Again()
        {
            runs++;
            if (runs < 1_000)
            {
                loop.Post(Again);
            }
        }

        loop.Post(Again);
        loop.RunOnce(block: false);
        Assert.That(runs, Is.EqualTo(1));

        loop.RunOnce(block: false);
        Assert.That(runs, Is.EqualTo(2));
    }
}
