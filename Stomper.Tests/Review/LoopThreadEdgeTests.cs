using EventLoop;
using NUnit.Framework;
using static Stomper.Tests.EventLoop.LoopOwnershipTests;

namespace Stomper.Tests.Review;

/// <summary>Loop ownership, condition variables across threads, and signals, at their edges.</summary>
[TestFixture]
public sealed class LoopThreadEdgeTests
{
    [Test]
    public void A_recv_on_another_thread_returns_once_a_third_thread_sends_while_the_owner_is_not_in_the_loop()
    {
        // CondVar.Recv's doc: on another thread it blocks "until the variable is sent (by
        // the loop's thread, or by any thread through Send)". A Send from a thread that is
        // not the owner is only posted to the loop; while the owner does other work (here:
        // waits for a result, as a test or a synchronous API would), nothing ever runs it.
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);
        var cv = loop.Cv();
        object? received = null;
        var waiter = new Thread(() => received = cv.Recv<string>()) { IsBackground = true };
        waiter.Start();
        var sender = new Thread(() => cv.Send("from a third thread")) { IsBackground = true };
        sender.Start();
        sender.Join();

        var returned = waiter.Join(TimeSpan.FromSeconds(2));

        // Let the stuck waiter go before asserting, so nothing is left hanging.
        loop.RunOnce(block: false);
        waiter.Join(TimeSpan.FromSeconds(2));
        Assert.That(returned, Is.True, "Recv never returned although the variable was sent");
        Assert.That(received, Is.EqualTo("from a third thread"));
    }

    [Test]
    public void Ready_is_true_as_soon_as_another_thread_has_sent()
    {
        // Ready is documented thread-safe; after Send returns on another thread, a poller
        // (a health check, a test) still sees false until the owner runs a pass.
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);
        var cv = loop.Cv();

        var sender = new Thread(() => cv.Send(1));
        sender.Start();
        sender.Join();

        Assert.That(cv.Ready, Is.True);
    }

    [Test]
    public async Task A_loop_run_from_one_thread_pool_task_can_be_run_again_from_the_next_once_the_task_releases_it()
    {
        // The owner is the first thread that ran the loop, until it ends or releases it; a
        // pool thread never ends. Ported code that runs the loop inside Task.Run (or awaits
        // between two Recv) found the loop, and every client on it, locked to a worker it
        // could never get back to. The contract chosen: the task hands the loop back with
        // ReleaseOwnership; ownership is not dropped on its own when a run returns, since a
        // loop pumped with RunOnce between other work must stay its thread's (issue 9 item 15).
        using var loop = new Loop(new FakeClock());
        await Task.Run(() =>
        {
            loop.RunOnce(block: false);
            loop.ReleaseOwnership();
        });

        var error = OnOtherThread(() => loop.RunOnce(block: false));

        Assert.That(error, Is.Null, error?.Message);
    }

    [Test]
    public void A_TSTP_watcher_fires_when_the_process_inherited_TSTP_as_ignored()
    {
        // Row 46: the watcher fires even when the signal was inherited as ignored. The
        // override maps only HUP, INT, QUIT, TERM and raw numbers: the runtime's negative
        // enum values (CHLD, CONT, WINCH, TTIN, TTOU, TSTP) get no number, so a watcher on
        // an inherited-ignored TSTP (job-control shells) never fires.
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Linux only");
        }

        var (exitCode, output) = ChildProcess.Run("tstp-inherited-as-ignored", shellPrefix: "trap '' TSTP;");

        Assert.That(output, Does.Contain("fired"), output);
        Assert.That(exitCode, Is.EqualTo(0), output);
    }

    [Test]
    public void Disposing_the_loop_from_its_own_callback_ends_Run_without_an_internal_exception()
    {
        // A shutdown written as "on TERM: dispose the client, then the loop" runs inside
        // Run. Run's next pass polls the disposed wake-up socket, and Run throws
        // ObjectDisposedException for System.Net.Sockets.SafeSocketHandle, an object the
        // caller never saw (Loop.Run keeps calling Pass without looking at _disposed).
        var loop = new Loop(new FakeClock());
        using var timer = loop.Timer(0, 0, loop.Dispose);

        Exception? error = null;
        try
        {
            loop.Run();
        }
        catch (Exception e)
        {
            error = e;
        }

        Assert.That(error, Is.Null.Or.InstanceOf<ObjectDisposedException>().With.Property("ObjectName").EqualTo(nameof(Loop)), error?.ToString());
    }

    [Test]
    public void Constructing_a_client_on_another_thread_than_its_loop_says_the_constructor_was_called_there()
    {
        // The check comes from the OnError setter the constructor calls, so the message
        // begins "OnError was called on thread ...", a member the caller never touched.
        // (ConnectionTimeout's setter runs before _loop is set and checks nothing.)
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);

        var error = OnOtherThread(() => _ = new StomperClient(new StomperOptions { Loop = loop, Lazy = true }));

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.StartWith("The StomperClient constructor was called on thread"), error.Message);
    }

    [Test]
    public void Constructing_a_cluster_on_another_thread_than_its_loop_says_the_cluster_constructor_was_called_there()
    {
        using var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);

        var error = OnOtherThread(() => _ = new Stomper.Cluster.StomperCluster(new() { Loop = loop, Nodes = [new("node1", 61613)] }));

        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(error!.Message, Does.StartWith("The StomperCluster constructor was called on thread"), error.Message);
    }

    [Test]
    public void A_watcher_can_be_made_for_the_signals_Perl_code_commonly_watches([Values("ALRM", "PIPE")] string name)
    {
        // AE::signal takes any signal the system has. The port knew HUP, INT, QUIT, TERM,
        // CHLD, CONT, WINCH, TTIN, TTOU, TSTP, and USR1/USR2 on Linux only; anything else,
        // ALRM and PIPE among them, threw, and USR1 threw on macOS.
        using var loop = new Loop(new FakeClock());

        var error = OnOtherThread(() => loop.Signal(name, () => { }).Dispose());

        Assert.That(error, Is.Null, error?.Message);
    }

    [Test]
    public void A_recv_waiting_on_another_thread_ends_when_the_loop_is_disposed()
    {
        // A worker waits for a result the loop will never send: the owner shuts down and
        // disposes the loop (a Send posted meanwhile is dropped with it). WaitForOwner
        // looks only for an ended owner, so the worker polls every 200 ms for ever instead
        // of getting an ObjectDisposedException. (The stuck thread is a background thread.)
        var loop = new Loop(new FakeClock());
        loop.RunOnce(block: false);
        var cv = loop.Cv();
        Exception? error = null;
        var waiter = new Thread(() =>
        {
            try
            {
                cv.Recv();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { IsBackground = true };
        waiter.Start();
        SpinWait.SpinUntil(() => waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), TimeSpan.FromSeconds(5));

        loop.Dispose();

        Assert.That(waiter.Join(TimeSpan.FromSeconds(2)), Is.True, "Recv still waits on a disposed loop");
        Assert.That(error, Is.InstanceOf<ObjectDisposedException>());
    }
}
