using System.Net;
using System.Net.Sockets;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

/// <summary>The first thread that runs a loop owns it while it lives; see docs/design.md, "Threads".</summary>
[TestFixture]
public sealed class LoopOwnershipTests
{
    [Test]
    public void A_recv_on_another_thread_between_two_passes_waits_for_the_owner_instead_of_taking_the_loop_over()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var cv = loop.Cv();
        var callbackThreads = new List<int>();
        using var timer = loop.Timer(1, 0, () =>
        {
            callbackThreads.Add(Environment.CurrentManagedThreadId);
            cv.Send("sent by the owner");
        });
        loop.RunOnce(block: false);

        string? received = null;
        var waiter = new Thread(() => received = cv.Recv<string>()) { IsBackground = true };
        waiter.Start();
        Assert.That(
            SpinWait.SpinUntil(() => loop.IsRunning || waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), TimeSpan.FromSeconds(5)),
            "the waiting thread never got into Recv");

        clock.Advance(1);
        loop.RunOnce(block: false);

        Assert.That(waiter.Join(TimeSpan.FromSeconds(5)), "Recv on the other thread never returned");
        Assert.That(received, Is.EqualTo("sent by the owner"));
        Assert.That(callbackThreads, Is.EqualTo(new[] { Environment.CurrentManagedThreadId }));
        Assert.That(loop.RunOnce(block: false), Is.False, "the owner's next pass");
    }

    [Test]
    public void Running_a_loop_that_another_live_thread_owns_throws_naming_that_thread_loop_post_and_release_ownership()
    {
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);

        var error = OnOtherThread(() => loop.RunOnce(block: false));

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.Contain($"belongs to thread {Environment.CurrentManagedThreadId}").And.Contain("Loop.Post").And.Contain("Loop.ReleaseOwnership").And.StartWith("RunOnce"));
    }

    [Test]
    public void A_loop_whose_owning_thread_has_ended_passes_to_the_next_thread_that_runs_it()
    {
        using var loop = new Loop(new FakeClock());
        var first = new Thread(() => loop.RunOnce(block: false));
        first.Start();
        first.Join();
        var ran = 0;
        using var timer = loop.Timer(0, 0, () => ran = Environment.CurrentManagedThreadId);

        loop.RunOnce(block: false);

        Assert.That(ran, Is.EqualTo(Environment.CurrentManagedThreadId));
        Assert.That(loop.IsLoopThread);
    }

    [Test]
    public void A_recv_waiting_on_another_thread_runs_the_loop_itself_once_the_owner_ends_without_sending()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var cv = loop.Cv();
        using var timer = loop.Timer(1, 0, () => cv.Send(Environment.CurrentManagedThreadId));
        using var ranOnce = new ManualResetEventSlim();
        using var ownerMayEnd = new ManualResetEventSlim();
        var owner = new Thread(() =>
        {
            loop.RunOnce(block: false);
            ranOnce.Set();
            ownerMayEnd.Wait();
        });
        owner.Start();
        ranOnce.Wait();
        clock.Advance(1);

        var waiter = new Thread(() => cv.Recv()) { IsBackground = true };
        waiter.Start();
        Assert.That(SpinWait.SpinUntil(() => waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), TimeSpan.FromSeconds(5)));
        ownerMayEnd.Set();
        owner.Join();

        Assert.That(waiter.Join(TimeSpan.FromSeconds(5)), "Recv kept waiting for an owner that had ended");
        Assert.That(cv.Recv<int>(), Is.EqualTo(waiter.ManagedThreadId));
    }

    [Test]
    public void Before_the_first_run_any_thread_may_set_up_watchers_and_the_runner_then_owns_the_loop()
    {
        using var loop = new Loop(new FakeClock());
        var fired = false;
        TimerWatcher? timer = null;
        Assert.That(OnOtherThread(() => timer = loop.Timer(0, 0, () => fired = true)), Is.Null);

        loop.RunOnce(block: false);

        Assert.That(fired);
        Assert.That(OnOtherThread(() => loop.Timer(0, 0, () => { })), Is.InstanceOf<InvalidOperationException>());
        timer!.Dispose();
    }

    [Test]
    public void The_loops_members_watchers_and_handles_refuse_a_foreign_thread()
    {
        using var loop = new Loop(new FakeClock());
        using var idle = loop.Idle(() => { });
        var cv = loop.Cv();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var transport = new ScriptedTransport();
        using var handle = new Handle(loop, transport.Options(new()));
        loop.RunOnce(block: false);

        var calls = new Dictionary<string, Action>
        {
            ["Timer"] = () => loop.Timer(1, 0, () => { }),
            ["Io"] = () => loop.Io(socket, IoDirection.Read, () => { }),
            ["Idle"] = () => loop.Idle(() => { }),
            ["Signal"] = () => loop.Signal("USR2", () => { }),
            ["Postpone"] = () => loop.Postpone(() => { }),
            ["Stop"] = loop.Stop,
            ["NowUpdate"] = loop.NowUpdate,
            ["Dispose"] = idle.Dispose,
            ["Begin"] = () => cv.Begin(),
            ["Cb"] = () => cv.Cb = _ => { },
            ["PushWrite"] = () => handle.PushWrite("x"),
            ["Commit"] = handle.Commit,
            ["Consume"] = () => handle.Consume(0),
        };
        foreach (var (member, call) in calls)
        {
            var error = OnOtherThread(call);
            Assert.That(error, Is.InstanceOf<InvalidOperationException>(), member);
            Assert.That(error!.Message, Does.StartWith($"{member} was called on thread ").And.Contain($"belongs to thread {Environment.CurrentManagedThreadId}"), member);
        }

        Assert.That(OnOtherThread(() => loop.Post(() => { })), Is.Null, "Post");
        Assert.That(OnOtherThread(() => loop.Cv()), Is.Null, "Cv");
    }

    [Test]
    public void A_send_from_another_thread_wakes_the_waiting_loop_and_runs_the_callback_on_the_loop_thread()
    {
        using var loop = new Loop();
        var callbackThread = 0;
        var cv = loop.Cv(_ => callbackThread = Environment.CurrentManagedThreadId);
        using var guard = loop.Timer(5, 0, () => cv.Croak("the loop slept through a send from another thread"));
        string? received = null;
        var loopThread = new Thread(() => received = cv.Recv<string>());
        loopThread.Start();
        Assert.That(SpinWait.SpinUntil(() => loop.IsRunning, TimeSpan.FromSeconds(5)));

        cv.Send("from a worker");
        loopThread.Join();

        Assert.That(received, Is.EqualTo("from a worker"));
        Assert.That(callbackThread, Is.EqualTo(loopThread.ManagedThreadId));
    }

    [Test]
    public void A_recv_waiting_on_another_thread_takes_the_loop_over_when_the_owner_releases_it()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var cv = loop.Cv();
        using var timer = loop.Timer(1, 0, () => cv.Send(Environment.CurrentManagedThreadId));
        loop.RunOnce(block: false);
        clock.Advance(1);
        var waiter = new Thread(() => cv.Recv()) { IsBackground = true };
        waiter.Start();
        Assert.That(SpinWait.SpinUntil(() => waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), TimeSpan.FromSeconds(5)));

        loop.ReleaseOwnership();

        Assert.That(waiter.Join(TimeSpan.FromSeconds(5)), "Recv kept waiting for an owner that had released the loop");
        Assert.That(cv.Recv<int>(), Is.EqualTo(waiter.ManagedThreadId), "the timer ran on the thread that took the loop over");
        Assert.That(loop.IsLoopThread, Is.False);
    }

    [Test]
    public void Releasing_the_loop_from_inside_one_of_its_callbacks_throws()
    {
        using var loop = new Loop(new FakeClock());
        Exception? error = null;
        using var timer = loop.Timer(0, 0, () => error = Assert.Catch(loop.ReleaseOwnership));

        loop.RunOnce(block: false);

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.StartWith("ReleaseOwnership was called while the loop runs"));
        Assert.That(loop.IsLoopThread);
    }

    [Test]
    public void Only_the_owner_may_release_the_loop()
    {
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);

        var error = OnOtherThread(loop.ReleaseOwnership);

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.StartWith("ReleaseOwnership was called on thread "));
        Assert.That(loop.IsLoopThread);
    }

    [Test]
    public void A_released_loop_belongs_to_the_next_thread_that_runs_it()
    {
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);
        loop.ReleaseOwnership();

        Assert.That(OnOtherThread(() => loop.RunOnce(block: false)), Is.Null);
        Assert.That(OnOtherThread(() => loop.RunOnce(block: false)), Is.Null, "the first runner ended, so the loop is free again");
        loop.RunOnce(block: false);
        Assert.That(loop.IsLoopThread);
    }

    [Test]
    public void A_send_from_another_thread_makes_the_variable_ready_there_and_leaves_only_the_callback_to_the_loop_thread()
    {
        using var loop = new Loop(new FakeClock());
        var callbackThreads = new List<int>();
        var cv = loop.Cv(_ => callbackThreads.Add(Environment.CurrentManagedThreadId));
        loop.RunOnce(block: false);

        Assert.That(OnOtherThread(() => cv.Send("x")), Is.Null);

        Assert.That(cv.Ready);
        Assert.That(cv.Recv<string>(), Is.EqualTo("x"));
        Assert.That(callbackThreads, Is.Empty, "Cb ran outside the loop");
        loop.RunOnce(block: false);
        Assert.That(callbackThreads, Is.EqualTo(new[] { Environment.CurrentManagedThreadId }));
    }

    [Test]
    public void A_callback_set_after_a_send_from_another_thread_is_called_once()
    {
        using var loop = new Loop(new FakeClock());
        var cv = loop.Cv();
        loop.RunOnce(block: false);
        Assert.That(OnOtherThread(() => cv.Send()), Is.Null);
        var calls = 0;

        cv.Cb = _ => calls++;
        loop.RunPending();

        Assert.That(calls, Is.EqualTo(1));
    }

    /// <summary>Runs <paramref name="action"/> on a new thread; returns what it threw, or null.</summary>
    internal static Exception? OnOtherThread(Action action)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        thread.Start();
        thread.Join();
        return thrown;
    }
}
