using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.EventLoop;

[TestFixture]
public sealed class LoopTests
{
    [Test]
    public void Posts_from_four_threads_all_run_on_the_loop_thread_each_thread_in_its_order()
    {
        const int Threads = 4;
        const int PerThread = 10_000;
        using var loop = new Loop();
        var seen = new int[Threads];
        var outOfOrder = 0;
        var offLoopThread = 0;
        var loopThreadId = Environment.CurrentManagedThreadId;
        var done = loop.Cv();
        for (var t = 0; t < Threads; t++)
        {
            done.Begin();
        }

        var producers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                var n = i;
                loop.Post(() =>
                {
                    if (seen[t] != n)
                    {
                        outOfOrder++;
                    }

                    if (Environment.CurrentManagedThreadId != loopThreadId)
                    {
                        offLoopThread++;
                    }

                    seen[t] = n + 1;
                    if (n == PerThread - 1)
                    {
                        done.End();
                    }
                });
            }
        })).ToList();
        producers.ForEach(p => p.Start());

        done.Recv();
        producers.ForEach(p => p.Join());

        Assert.That(seen, Is.All.EqualTo(PerThread));
        Assert.That(outOfOrder, Is.Zero);
        Assert.That(offLoopThread, Is.Zero);
    }

    [Test]
    public void Posts_in_bursts_from_free_running_threads_never_leave_the_loop_asleep_with_work_queued()
    {
        // A lost wake-up shows only under a flood: a post landing between the loop
        // clearing its wake-up flag and draining the wake-up socket.
        const int Threads = 2;
        const int PerThread = 300_000;
        var loop = new Loop();
        var done = loop.Cv();
        var seen = 0;
        Action tick = () =>
        {
            if (++seen == Threads * PerThread)
            {
                done.Send();
            }
        };
        var runner = new Thread(() => done.Recv()) { IsBackground = true };
        runner.Start();
        var producers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            // Small bursts with pauses, so that the loop keeps falling asleep between them.
            for (var i = 0; i < PerThread; i++)
            {
                loop.Post(tick);
                if (i % 8 == 0)
                {
                    Thread.Yield();
                }
            }
        })).ToList();
        producers.ForEach(p => p.Start());
        producers.ForEach(p => p.Join());

        // On failure the loop is left to its stuck thread: disposing a loop that a thread
        // is still running would only crash that thread.
        Assert.That(runner.Join(TimeSpan.FromSeconds(30)), Is.True, $"the loop fell asleep after {Volatile.Read(ref seen)} of {Threads * PerThread} posts");
        loop.Dispose();
    }

    [Test]
    public void A_post_wakes_a_loop_that_sleeps_with_nothing_to_wait_for()
    {
        using var loop = new Loop();
        var cv = loop.Cv();
        var poster = new Thread(() =>
        {
            Thread.Sleep(50);
            loop.Post(() => cv.Send("woken"));
        });
        poster.Start();

        Assert.That(cv.Recv<string>(), Is.EqualTo("woken"));
        poster.Join();
    }

    [Test]
    public void A_loop_with_nothing_to_do_sleeps_instead_of_spinning()
    {
        using var loop = new Loop();
        var cv = loop.Cv();
        var sleeper = new Thread(() => cv.Recv());
        sleeper.Start();
        while (!loop.IsRunning)
        {
            Thread.Yield();
        }

        var before = loop.PassCount;
        Thread.Sleep(300);
        var passesWhileIdle = loop.PassCount - before;
        loop.Post(() => cv.Send());
        sleeper.Join();

        // A polling loop would make thousands of passes; a sleeping one makes none.
        Assert.That(passesWhileIdle, Is.LessThanOrEqualTo(1));
    }

    [Test]
    public void Run_returns_after_stop()
    {
        using var loop = new Loop();
        var passes = 0;
        using var timer = loop.Timer(0, 0.001, () =>
        {
            if (++passes == 3)
            {
                loop.Stop();
            }
        });

        loop.Run();

        Assert.That(passes, Is.EqualTo(3));
    }

    [Test]
    public void Running_the_loop_from_a_second_thread_while_one_runs_it_is_refused()
    {
        using var loop = new Loop();
        var cv = loop.Cv();
        var runner = new Thread(() => cv.Recv());
        runner.Start();
        while (!loop.IsRunning)
        {
            Thread.Yield();
        }

        Assert.Throws<InvalidOperationException>(() => loop.RunOnce(block: false));
        loop.Post(() => cv.Send());
        runner.Join();
    }

    [Test]
    public void Postponed_callbacks_run_after_the_current_callback_returns_in_order()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var trace = new List<string>();
        using var timer = loop.Timer(0, 0, () =>
        {
            loop.Postpone(() => trace.Add("postponed 1"));
            loop.Postpone(() => trace.Add("postponed 2"));
            trace.Add("callback end");
        });

        loop.RunOnce(block: false);

        Assert.That(trace, Is.EqualTo(new[] { "callback end", "postponed 1", "postponed 2" }));
    }

    [Test]
    public void What_a_pass_left_by_an_exception_had_postponed_runs_before_the_next_pass_dispatches_anything()
    {
        // The model test's seeds 2007403 and 2132554: a reply read on the next pass (here a
        // timer of that pass) reached the user before an answer put off by the exception,
        // though its cause came later.
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var trace = new List<string>();
        using var first = loop.Timer(1, 0, () =>
        {
            loop.Postpone(() => trace.Add("put off"));
            throw new InvalidOperationException("callback");
        });
        using var second = loop.Timer(1, 0, () => trace.Add("next timer"));
        clock.Advance(1);

        Assert.Throws<InvalidOperationException>(() => loop.RunOnce(block: false));
        loop.RunOnce(block: false);

        Assert.That(trace, Is.EqualTo(new[] { "put off", "next timer" }));
    }

    [Test]
    public void Idle_watchers_run_only_on_passes_where_nothing_else_happened()
    {
        var clock = new FakeClock();
        using var loop = new Loop(clock);
        var trace = new List<string>();
        var idle = loop.Idle(() => trace.Add("idle"));
        using var timer = loop.Timer(1, 0, () => trace.Add("timer"));

        loop.RunOnce(block: false);
        clock.Advance(1);
        loop.RunOnce(block: false);
        loop.RunOnce(block: false);
        idle.Dispose();
        loop.RunOnce(block: false);

        Assert.That(trace, Is.EqualTo(new[] { "idle", "timer", "idle" }));
    }

    [Test]
    public void A_signal_sent_to_the_process_itself_runs_the_callback_on_the_loop_thread()
    {
        using var loop = new Loop();
        var cv = loop.Cv();
        var loopThread = Environment.CurrentManagedThreadId;
        using var watcher = loop.Signal("HUP", () => cv.Send(Environment.CurrentManagedThreadId));

        using (var kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        Assert.That(cv.Recv<int>(), Is.EqualTo(loopThread));
    }

    [Test]
    public void Unknown_signal_names_are_refused()
    {
        using var loop = new Loop();

        Assert.That(() => loop.Signal("NOSUCH", () => { }), Throws.ArgumentException.With.Message.Contains("NOSUCH"));
    }

    [Test]
    public void An_io_watcher_calls_back_while_its_socket_is_readable_and_stops_when_disposed()
    {
        using var loop = new Loop();
        var (client, server) = ConnectedPair();
        using var clientSocket = client;
        using var serverSocket = server;
        var cv = loop.Cv();
        var calls = 0;
        IoWatcher? watcher = null;
        watcher = loop.Io(server, IoDirection.Read, () =>
        {
            calls++;
            var buffer = new byte[16];
            var n = server.Receive(buffer);
            watcher!.Dispose();
            cv.Send(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        });

        client.Send("ping"u8);

        Assert.That(cv.Recv<string>(), Is.EqualTo("ping"));
        client.Send("more"u8);
        loop.RunOnce(block: false);
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public void A_write_watcher_fires_when_the_socket_can_take_data()
    {
        using var loop = new Loop();
        var (client, server) = ConnectedPair();
        using var clientSocket = client;
        using var serverSocket = server;
        var cv = loop.Cv();
        using var watcher = AEStyle(loop, client, cv);

        Assert.That(cv.Recv<bool>(), Is.True);
    }

    internal static (Socket Client, Socket Server) ConnectedPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }

    private static IoWatcher AEStyle(Loop loop, Socket socket, CondVar cv) => loop.Io(socket, IoDirection.Write, () => cv.Send(true));
}
