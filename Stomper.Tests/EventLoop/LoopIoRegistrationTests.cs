using System.Net.Sockets;
using System.Runtime.InteropServices;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>
/// The waiting phase (issue 16): sockets registered once with the kernel and changed only
/// when their interest changes, watchers added and disposed inside callbacks, sockets closed
/// while watched, on both backends. See docs/design.md, "Waiting for sockets".
/// </summary>
[TestFixture("epoll")]
[TestFixture("select")]
public sealed partial class LoopIoRegistrationTests
{
    private readonly string _backend;
    private readonly List<IDisposable> _cleanup = [];

    public LoopIoRegistrationTests(string backend)
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
    public void The_loop_waits_on_the_backend_it_was_given()
    {
        using var loop = NewLoop();

        Assert.That(loop.Backend, Is.EqualTo(_backend));
    }

    [Test]
    public void A_watcher_disposed_by_an_earlier_callback_of_the_same_pass_is_not_called()
    {
        using var loop = NewLoop();
        var (a, _) = ReadablePair();
        var (b, _) = ReadablePair();
        var calls = new List<string>();
        IoWatcher? first = null;
        IoWatcher? second = null;
        first = loop.Io(a, IoDirection.Read, () =>
        {
            calls.Add("a");
            second!.Dispose();
        });
        second = loop.Io(b, IoDirection.Read, () =>
        {
            calls.Add("b");
            first!.Dispose();
        });

        loop.RunOnce(block: false);

        // Both sockets are ready in the one pass; whichever the kernel reports first wins.
        Assert.That(calls, Has.Count.EqualTo(1));
        loop.RunOnce(block: false);
        Assert.That(calls.Distinct().Count(), Is.EqualTo(1), string.Join(", ", calls));
    }

    [Test]
    public void A_reader_added_by_a_reader_of_the_same_ready_socket_is_first_called_on_the_next_pass()
    {
        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var calls = new List<string>();
        IoWatcher? added = null;
        using var first = loop.Io(socket, IoDirection.Read, () =>
        {
            calls.Add("first");
            added ??= loop.Io(socket, IoDirection.Read, () => calls.Add("added"));
        });

        loop.RunOnce(block: false);
        loop.RunOnce(block: false);
        added!.Dispose();

        Assert.That(calls, Is.EqualTo(new[] { "first", "first", "added" }));
    }

    [Test]
    public void A_watcher_added_in_a_callback_for_another_socket_that_is_ready_is_called_by_the_next_pass_and_then_on_every_pass()
    {
        using var loop = NewLoop();
        var (a, _) = ReadablePair();
        var (b, _) = ReadablePair();
        var added = 0;
        IoWatcher? watcherB = null;
        using var watcherA = loop.Io(a, IoDirection.Read, () => watcherB ??= loop.Io(b, IoDirection.Read, () => added++));

        loop.RunOnce(block: false);
        loop.RunOnce(block: false);
        var afterTwo = added;
        loop.RunOnce(block: false);
        watcherB!.Dispose();

        // b had no watcher when the first wait began: it is called on the second pass
        // (level-triggered, its data is still there), and on each pass after.
        Assert.That(afterTwo, Is.EqualTo(1));
        Assert.That(added, Is.EqualTo(2));
    }

    [Test]
    public void A_socket_whose_last_watcher_goes_and_comes_back_in_one_pass_stays_watched_without_a_kernel_call()
    {
        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var calls = 0;
        IoWatcher watcher = null!;
        Action callback = null!;
        callback = () =>
        {
            calls++;
            watcher.Dispose();
            watcher = loop.Io(socket, IoDirection.Read, callback);
        };
        watcher = loop.Io(socket, IoDirection.Read, callback);
        loop.RunOnce(block: false);
        var kernelCalls = loop.Poller.ControlCalls;

        loop.RunOnce(block: false);
        loop.RunOnce(block: false);
        watcher.Dispose();

        Assert.That(calls, Is.EqualTo(3));
        Assert.That(loop.Poller.ControlCalls, Is.EqualTo(kernelCalls), "re-arming within a pass must not reach the kernel");
    }

    [Test]
    public void The_kernel_hears_of_a_socket_once_and_again_only_when_its_interest_changes()
    {
        if (_backend != "epoll")
        {
            Assert.Ignore("select asks the kernel afresh on every wait");
        }

        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var before = loop.Poller.ControlCalls;
        var reader1 = loop.Io(socket, IoDirection.Read, () => { });
        Assert.That(loop.Poller.ControlCalls - before, Is.EqualTo(1), "the first watcher: EPOLL_CTL_ADD");

        var reader2 = loop.Io(socket, IoDirection.Read, () => { });
        Pass(loop, 3);
        Assert.That(loop.Poller.ControlCalls - before, Is.EqualTo(1), "a second reader, and steady passes: nothing");

        var writer = loop.Io(socket, IoDirection.Write, () => { });
        Pass(loop, 3);
        Assert.That(loop.Poller.ControlCalls - before, Is.EqualTo(2), "the first writer: EPOLL_CTL_MOD");

        writer.Dispose();
        reader1.Dispose();
        Pass(loop, 3);
        Assert.That(loop.Poller.ControlCalls - before, Is.EqualTo(3), "the last writer gone: EPOLL_CTL_MOD; a reader remains");

        reader2.Dispose();
        Pass(loop, 3);
        Assert.That(loop.Poller.ControlCalls - before, Is.EqualTo(4), "the last watcher gone: EPOLL_CTL_DEL");
        Assert.That(loop.WatchedSockets, Is.Zero);
    }

    [Test]
    public void A_socket_the_kernel_refuses_to_watch_fails_the_call_with_the_reason_and_the_loop_goes_on()
    {
        if (_backend != "epoll")
        {
            Assert.Ignore("select asks about each socket afresh and refuses none");
        }

        using var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var calls = 0;
        using var watcher = loop.Io(socket, IoDirection.Read, () => calls++);

        // A second handle over the same descriptor: the kernel already holds that open file.
        using var alias = new Socket(new SafeSocketHandle(socket.SafeHandle.DangerousGetHandle(), ownsHandle: false));

        Assert.That(() => loop.Io(alias, IoDirection.Read, () => { }),
            Throws.TypeOf<IOException>().With.Message.EqualTo("The event loop cannot watch this socket: epoll_ctl failed: File exists (errno 17)"));
        Assert.That(loop.WatchedSockets, Is.EqualTo(1));
        loop.RunOnce(block: false);
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public void A_socket_closed_while_watched_is_skipped_and_a_new_socket_that_takes_its_descriptor_number_is_watched_for_itself()
    {
        using var loop = NewLoop();
        var (old, oldPeer) = Pair();
        var oldCalls = 0;
        var oldWatcher = loop.Io(old, IoDirection.Read, () => oldCalls++);
        loop.RunOnce(block: false);
        var number = old.SafeHandle.DangerousGetHandle();
        old.Dispose();

        // The kernel hands out the lowest free number: the old socket's, unless another
        // thread of the process took it meanwhile.
        Socket? reused = null;
        Socket? reusedPeer = null;
        for (var attempt = 0; attempt < 20 && reused is null; attempt++)
        {
            var (candidate, peer) = Pair();
            if (candidate.SafeHandle.DangerousGetHandle() == number)
            {
                (reused, reusedPeer) = (candidate, peer);
            }
            else if (peer.SafeHandle.DangerousGetHandle() == number)
            {
                (reused, reusedPeer) = (peer, candidate);
            }
        }

        Assume.That(reused, Is.Not.Null, "no new socket got the closed one's number");
        var newCalls = 0;
        using var newWatcher = loop.Io(reused!, IoDirection.Read, () =>
        {
            newCalls++;
            reused!.Receive(new byte[16]);
        });
        oldPeer.Send("for the old one"u8);
        reusedPeer!.Send("x"u8);
        loop.RunOnce(block: false);
        Assert.That((oldCalls, newCalls), Is.EqualTo((0, 1)));

        // Disposing the old watcher must not take the number out of the kernel's set on the
        // new socket's behalf.
        oldWatcher.Dispose();
        loop.RunOnce(block: false);
        reusedPeer.Send("y"u8);
        loop.RunOnce(block: false);
        Assert.That((oldCalls, newCalls), Is.EqualTo((0, 2)));
    }

    [Test]
    public void A_callback_that_closes_a_watched_socket_and_watches_a_new_one_on_the_same_number_leaves_the_new_one_watched()
    {
        using var loop = NewLoop();
        var (trigger, _) = ReadablePair();
        var (old, _) = Pair();
        var oldWatcher = loop.Io(old, IoDirection.Read, () => { });
        loop.RunOnce(block: false);
        var number = old.SafeHandle.DangerousGetHandle();
        Socket? reused = null;
        Socket? reusedPeer = null;
        var newCalls = 0;
        IoWatcher? newWatcher = null;
        using var once = loop.Io(trigger, IoDirection.Read, () =>
        {
            if (newWatcher is not null)
            {
                return;
            }

            // All within one pass: the old socket's last watcher goes, the socket closes, and
            // a new socket (most likely on the same number) is watched before the next wait.
            oldWatcher.Dispose();
            old.Dispose();
            for (var attempt = 0; attempt < 20 && reused is null; attempt++)
            {
                var (candidate, peer) = Pair();
                if (candidate.SafeHandle.DangerousGetHandle() == number)
                {
                    (reused, reusedPeer) = (candidate, peer);
                }
                else if (peer.SafeHandle.DangerousGetHandle() == number)
                {
                    (reused, reusedPeer) = (peer, candidate);
                }
            }

            newWatcher = reused is null ? null : loop.Io(reused, IoDirection.Read, () =>
            {
                newCalls++;
                reused.Receive(new byte[16]);
            });
        });
        loop.RunOnce(block: false);
        Assume.That(reused, Is.Not.Null, "no new socket got the closed one's number");

        reusedPeer!.Send("x"u8);
        Assert.That(SpinWait.SpinUntil(() => { loop.RunOnce(block: false); return newCalls > 0; }, TimeSpan.FromSeconds(5)),
            "the new socket on the old number was not watched");
        newWatcher!.Dispose();
    }

    [Test]
    public void A_socket_closed_by_a_callback_is_not_reported_to_its_watchers_later_in_the_same_pass()
    {
        using var loop = NewLoop();
        var (a, _) = ReadablePair();
        var (b, _) = ReadablePair();
        var calls = new List<string>();
        using var watcherA = loop.Io(a, IoDirection.Read, () =>
        {
            calls.Add("a");
            b.Dispose();
        });
        using var watcherB = loop.Io(b, IoDirection.Read, () =>
        {
            calls.Add("b");
            a.Dispose();
        });

        Assert.That(() => loop.RunOnce(block: false), Throws.Nothing);
        Assert.That(calls, Has.Count.EqualTo(1));
        Assert.That(() => loop.RunOnce(block: false), Throws.Nothing);
        Assert.That(calls.Distinct().Count(), Is.EqualTo(1), string.Join(", ", calls));
    }

    [Test]
    public void A_closed_socket_whose_open_file_lives_on_in_a_duplicate_does_not_keep_the_loop_busy()
    {
        if (_backend != "epoll")
        {
            Assert.Ignore("select skips closed sockets; only the kernel's epoll set can outlive one");
        }

        using var loop = NewLoop();
        var poller = (EpollPoller)loop.Poller;
        var (socket, peer) = Pair();
        var calls = 0;
        using var watcher = loop.Io(socket, IoDirection.Read, () => calls++);
        loop.RunOnce(block: false);
        var duplicate = Dup((int)socket.SafeHandle.DangerousGetHandle());
        Assert.That(duplicate, Is.GreaterThanOrEqualTo(0), "dup failed");
        _cleanup.Add(new Socket(new SafeSocketHandle(duplicate, ownsHandle: true)));
        socket.Dispose();
        peer.Send("data the closed socket will never read"u8);

        var busy = 0;
        for (var i = 0; i < 10; i++)
        {
            busy += loop.RunOnce(block: false) ? 1 : 0;
        }

        Assert.That(calls, Is.Zero);
        Assert.That(busy, Is.Zero);
        Assert.That(poller.Rebuilds, Is.EqualTo(1));
        Assert.That(poller.StaleEvents, Is.EqualTo(1), "after the rebuild the kernel reports it no more");
    }

    [Test]
    public void An_error_or_a_hang_up_wakes_the_watchers_of_both_directions()
    {
        Assert.That(EpollPoller.Readiness(LinuxNative.EpollErr), Is.EqualTo(IoReadiness.Error));
        Assert.That(EpollPoller.Readiness(LinuxNative.EpollHup), Is.EqualTo(IoReadiness.Error));
        Assert.That(EpollPoller.Readiness(LinuxNative.EpollIn | LinuxNative.EpollOut), Is.EqualTo(IoReadiness.Read | IoReadiness.Write));

        using var loop = NewLoop();
        var (socket, peer) = Pair();
        socket.Blocking = false;
        var chunk = new byte[64 * 1024];
        while (socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
        {
        }

        var calls = new List<string>();
        SocketError? readError = null;
        using var reader = loop.Io(socket, IoDirection.Read, () =>
        {
            calls.Add("read");
            socket.Receive(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            readError ??= error;
        });
        using var writer = loop.Io(socket, IoDirection.Write, () => calls.Add("write"));
        loop.RunOnce(block: false);
        Assert.That(calls, Is.Empty, "the send buffer is full and nothing came in");

        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        Assert.That(SpinWait.SpinUntil(() => loop.RunOnce(block: false), TimeSpan.FromSeconds(5)), "no pass saw the reset");

        Assert.That(calls, Is.EquivalentTo(new[] { "read", "write" }));
        Assert.That(readError, Is.EqualTo(SocketError.ConnectionReset));
    }

    [Test]
    public void A_reader_is_called_at_the_end_of_the_stream_and_its_read_returns_zero()
    {
        using var loop = NewLoop();
        var (socket, peer) = Pair();
        var reads = new List<int>();
        using var reader = loop.Io(socket, IoDirection.Read, () => reads.Add(socket.Receive(new byte[16])));
        loop.RunOnce(block: false);

        peer.Shutdown(SocketShutdown.Send);
        Assert.That(SpinWait.SpinUntil(() => loop.RunOnce(block: false), TimeSpan.FromSeconds(5)), "no pass saw the end of the stream");

        Assert.That(reads, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void More_ready_sockets_than_one_wait_returns_are_all_served_and_later_waits_take_them_all()
    {
        using var loop = NewLoop();
        const int Sockets = 300;
        var calls = new int[Sockets];
        for (var i = 0; i < Sockets; i++)
        {
            var (socket, _) = ReadablePair();
            var n = i;
            _cleanup.Add(loop.Io(socket, IoDirection.Read, () => calls[n]++));
        }

        Pass(loop, 4);
        Array.Clear(calls);
        loop.RunOnce(block: false);

        Assert.That(calls, Is.All.EqualTo(1));
    }

    [Test]
    public void Watchers_disposed_after_a_callback_disposed_their_loop_are_quiet()
    {
        var loop = NewLoop();
        var (socket, _) = ReadablePair();
        var reader = loop.Io(socket, IoDirection.Read, loop.Dispose);
        var writer = loop.Io(socket, IoDirection.Write, () => { });

        loop.RunOnce(block: false);

        Assert.That(() => reader.Dispose(), Throws.Nothing);
        Assert.That(() => writer.Dispose(), Throws.Nothing);
        Assert.That(() => loop.Io(socket, IoDirection.Read, () => { }), Throws.Nothing, "an inert watcher, as before");
        Assert.That(() => loop.Post(() => { }), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Watchers_made_on_one_thread_before_the_first_run_are_served_on_the_thread_that_runs_the_loop()
    {
        using var loop = NewLoop();
        var (socket, peer) = Pair();
        var cv = loop.Cv();
        var watcher = loop.Io(socket, IoDirection.Read, () =>
        {
            socket.Receive(new byte[16]);
            cv.Send(Environment.CurrentManagedThreadId);
        });
        var runnerThread = 0;
        var runner = new Thread(() =>
        {
            runnerThread = Environment.CurrentManagedThreadId;
            cv.Recv();
            watcher.Dispose();
        });
        runner.Start();
        Assert.That(SpinWait.SpinUntil(() => loop.IsRunning, TimeSpan.FromSeconds(5)), "the runner never ran the loop");
        Assert.That(() => loop.Io(socket, IoDirection.Write, () => { }), Throws.InvalidOperationException);
        peer.Send("x"u8);

        Assert.That(runner.Join(TimeSpan.FromSeconds(5)), "the watcher never woke the runner");
        Assert.That(cv.Recv<int>(), Is.EqualTo(runnerThread));
    }

    [Test]
    public void Steady_passes_with_ready_watchers_allocate_nothing()
    {
        if (_backend == "select")
        {
            Assert.Ignore("Socket.Select allocates inside itself on every wait (about 16 B per watched socket)");
        }

        using var loop = NewLoop();
        var calls = 0;
        for (var i = 0; i < 100; i++)
        {
            var (socket, _) = ReadablePair();
            _cleanup.Add(loop.Io(socket, IoDirection.Read, () => calls++));
        }

        using var timer = loop.Timer(0, 0.000001, () => calls++);
        loop.Post(() => calls++);
        Pass(loop, 100);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Pass(loop, 2_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(calls, Is.GreaterThan(2_000 * 100));
        Assert.That(allocated, Is.Zero, $"{_backend}: {allocated / 2_000.0} B per pass");
    }

    private static void Pass(Loop loop, int passes)
    {
        for (var i = 0; i < passes; i++)
        {
            loop.RunOnce(block: false);
        }
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    private Loop NewLoop() => new(SystemClock.Instance, _backend);

    private (Socket Socket, Socket Peer) Pair()
    {
        var (client, server) = LoopTests.ConnectedPair();
        _cleanup.Add(client);
        _cleanup.Add(server);
        return (server, client);
    }

    /// <summary>A socket with a byte waiting to be read, and its peer.</summary>
    private (Socket Socket, Socket Peer) ReadablePair()
    {
        var (socket, peer) = Pair();
        peer.Send("x"u8);
        SpinWait.SpinUntil(() => socket.Available > 0, TimeSpan.FromSeconds(5));
        return (socket, peer);
    }
}

/// <summary>How a process picks its loop's backend: <c>STOMPER_LOOP_BACKEND</c>, as AnyEvent's <c>PERL_ANYEVENT_MODEL</c>.</summary>
[TestFixture]
public sealed class LoopBackendChoiceTests
{
    [Test]
    public void Without_the_variable_a_loop_on_linux_waits_with_epoll()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("epoll is Linux only");
        }

        Assert.That(ChildProcess.Run("loop-backend", "unset STOMPER_LOOP_BACKEND;"), Is.EqualTo((0, "backend: epoll\n")));
    }

    [Test]
    public void The_variable_forces_the_select_backend()
    {
        Assert.That(ChildProcess.Run("loop-backend", "STOMPER_LOOP_BACKEND=select; export STOMPER_LOOP_BACKEND;"), Is.EqualTo((0, "backend: select\n")));
    }

    [Test]
    public void An_unknown_backend_name_is_refused_with_the_names_there_are()
    {
        var (exitCode, output) = ChildProcess.Run("loop-backend", "STOMPER_LOOP_BACKEND=kqueue; export STOMPER_LOOP_BACKEND;");

        Assert.That(exitCode, Is.Zero);
        Assert.That(output, Does.StartWith("refused: STOMPER_LOOP_BACKEND=kqueue names no event loop backend: use epoll (Linux) or select"));
    }
}
