using NUnit.Framework;

namespace Stomper.Tests.EndToEnd;

/// <summary>The harness's own promises, which the end-to-end tests lean on.</summary>
[TestFixture]
public sealed class LoopDriverTests
{
    [Test]
    public void A_broker_wait_runs_on_a_thread_of_its_own_and_not_on_the_thread_pool()
    {
        using var driver = new LoopDriver();
        bool? onPool = null;
        int? waiterThread = null;

        driver.WhileBrokerWaits(
            () =>
            {
                onPool = Thread.CurrentThread.IsThreadPoolThread;
                waiterThread = Environment.CurrentManagedThreadId;
            },
            "the wait");

        Assert.That(onPool, Is.False);
        Assert.That(waiterThread, Is.Not.EqualTo(Environment.CurrentManagedThreadId));
    }

    [Test]
    public void The_client_loop_runs_while_the_broker_waits()
    {
        using var driver = new LoopDriver();
        using var ran = new ManualResetEventSlim();
        using var tick = driver.Loop.Timer(0.01, 0, ran.Set);

        driver.WhileBrokerWaits(() => Assert.That(ran.Wait(TimeSpan.FromSeconds(LoopDriver.Patience)), Is.True), "the loop's timer");
    }

    [Test]
    public void A_broker_wait_that_throws_fails_the_test_with_its_exception_at_once()
    {
        using var driver = new LoopDriver();

        var error = Assert.Throws<ArgumentException>(() => driver.WhileBrokerWaits(() => throw new ArgumentException("no such frame"), "the frame", seconds: 60));

        Assert.That(error!.Message, Is.EqualTo("no such frame"));
    }
}
