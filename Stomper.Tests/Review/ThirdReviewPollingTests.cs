using System.Net.Sockets;
using EventLoop;
using NUnit.Framework;
using Stomper.Tests.EventLoop;

namespace Stomper.Tests.Review;

/// <summary>
/// Third review of issue 16 (the waiting phase): watchers of one socket disposed and added by
/// each other's callbacks within a pass, on both backends.
/// </summary>
[TestFixture("epoll")]
[TestFixture("select")]
public sealed class ThirdReviewPollingTests
{
    private readonly string _backend;
    private readonly List<IDisposable> _cleanup = [];

    public ThirdReviewPollingTests(string backend)
    {
        _backend = backend;
    }

    [SetUp]
    public void RequireBackend()
    {
        if (_backend == "epoll" && !OperatingSystem.IsLinux())
        {
            Assert.Ignore("epoll is Linux only");
        }
    }

    [TearDown]
    public void DisposeSockets()
    {
        _cleanup.ForEach(d => d.Dispose());
        _cleanup.Clear();
    }

    [Test]
    public void A_reader_that_replaces_itself_on_a_socket_that_also_has_a_writer_is_called_once_per_pass()
    {
        using var loop = new Loop(SystemClock.Instance, _backend);
        var socket = ReadableSocket();
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
        using var loop = new Loop(SystemClock.Instance, _backend);
        var socket = ReadableSocket();
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

    /// <summary>A socket with a byte waiting to be read (never read, so it stays readable).</summary>
    private Socket ReadableSocket()
    {
        var (client, server) = LoopTests.ConnectedPair();
        _cleanup.Add(client);
        _cleanup.Add(server);
        client.Send("x"u8);
        SpinWait.SpinUntil(() => server.Available > 0, TimeSpan.FromSeconds(5));
        return server;
    }
}
