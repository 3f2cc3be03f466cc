using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// Third review of issue 16 (the waiting phase): watchers of one socket disposed and added by
/// each other's callbacks within a pass, on both backends (the fixture of the registration tests).
/// </summary>
public sealed partial class LoopIoRegistrationTests
{
    [Test]
    public void A_reader_that_replaces_itself_on_a_socket_that_also_has_a_writer_is_called_once_per_pass()
    {
        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var calls = new List<string>();
        IoWatcher? reader = null;
        reader = loop.Io(socket, IoDirection.Read, () =>
        {
            calls.Add("first");
            reader!.Dispose();
            _cleanup.Add(loop.Io(socket, IoDirection.Read, () => calls.Add("second")));
        });
        _cleanup.Add(loop.Io(socket, IoDirection.Write, () => { }));

        loop.RunOnce(block: false);
        Assert.That(calls, Is.EqualTo(new[] { "first" }), "the replacement ran in the pass that made it (design.md: it waits for the next)");

        loop.RunOnce(block: false);
        Assert.That(calls, Is.EqualTo(new[] { "first", "second" }));
    }

    [Test]
    public void A_ready_reader_is_called_though_an_earlier_reader_of_its_socket_disposed_itself_in_the_same_pass()
    {
        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var calls = new List<string>();
        IoWatcher? first = null;
        first = loop.Io(socket, IoDirection.Read, () =>
        {
            calls.Add("first");
            first!.Dispose();
        });
        _cleanup.Add(loop.Io(socket, IoDirection.Read, () => calls.Add("second")));

        loop.RunOnce(block: false);

        Assert.That(calls, Is.EqualTo(new[] { "first", "second" }), "the second reader was skipped: it moved into the disposed one's place");
    }

    [Test]
    public void Watchers_made_and_disposed_outside_the_dispatch_do_not_pile_up_in_their_sockets_list()
    {
        using var loop = NewLoop();
        var (socket, _) = Pair();
        using var keeper = loop.Io(socket, IoDirection.Write, () => { });
        for (var i = 0; i < 10_000; i++)
        {
            loop.Io(socket, IoDirection.Read, () => { }).Dispose();
        }

        Assert.That(keeper.Registration.Watchers, Has.Count.EqualTo(1));
    }
}
