using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// A loop disposed from one of its own callbacks: as libuv closes handles at the end of a
/// pass, the pass ends quietly, no other callback runs, and only a later call is refused.
/// </summary>
[TestFixture]
public sealed class LoopDisposeTests
{
    [Test]
    public void A_loop_disposed_in_a_timer_callback_runs_nothing_more_and_refuses_only_the_next_pass()
    {
        var loop = new Loop(new FakeClock());
        var trace = new List<string>();
        loop.Timer(0, 0, () => DisposeFrom(loop, trace, "timer"));
        loop.Timer(0, 0, () => trace.Add("second timer"));
        loop.Post(() => trace.Add("posted"));
        loop.Postpone(() => trace.Add("postponed"));

        AssertDisposedQuietly(loop, trace);
    }

    [Test]
    public void A_loop_disposed_in_an_io_callback_runs_nothing_more_and_refuses_only_the_next_pass()
    {
        var loop = new Loop();
        var trace = new List<string>();
        var (client, server) = LoopTests.ConnectedPair();
        using var clientSocket = client;
        using var serverSocket = server;

        // A connected socket is writable at once: both watchers are due in the first pass.
        loop.Io(client, IoDirection.Write, () => DisposeFrom(loop, trace, "io"));
        loop.Io(client, IoDirection.Write, () => trace.Add("second io"));
        loop.Postpone(() => trace.Add("postponed"));

        AssertDisposedQuietly(loop, trace);
    }

    [Test]
    public void A_loop_disposed_in_a_posted_callback_runs_nothing_more_and_refuses_only_the_next_pass()
    {
        var loop = new Loop(new FakeClock());
        var trace = new List<string>();
        loop.Post(() => DisposeFrom(loop, trace, "posted"));
        loop.Post(() => trace.Add("second posted"));
        loop.Postpone(() => trace.Add("postponed"));
        loop.Idle(() => trace.Add("idle"));

        AssertDisposedQuietly(loop, trace);
    }

    [Test]
    public void Run_returns_when_a_callback_disposes_the_loop()
    {
        var loop = new Loop(new FakeClock());
        var trace = new List<string>();
        loop.Timer(0, 0, () => DisposeFrom(loop, trace, "timer"));

        Assert.That(loop.Run, Throws.Nothing);
        Assert.That(trace, Is.EqualTo(new[] { "timer" }));
    }

    private static void DisposeFrom(Loop loop, List<string> trace, string where)
    {
        trace.Add(where);
        loop.Dispose();
        loop.Postpone(() => trace.Add("postponed after dispose"));
        Assert.That(() => loop.Post(() => trace.Add("posted after dispose")), Throws.TypeOf<ObjectDisposedException>());
    }

    private static void AssertDisposedQuietly(Loop loop, List<string> trace)
    {
        Assert.That(() => loop.RunOnce(block: false), Throws.Nothing);
        Assert.That(trace, Has.Count.EqualTo(1), string.Join(", ", trace));
        Assert.That(() => loop.RunOnce(block: false), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(trace, Has.Count.EqualTo(1), string.Join(", ", trace));
    }
}
