using EventLoop;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>How the async client lives: on a loop you run, its events, a SUBSCRIBE cancelled on its way.</summary>
[TestFixture]
public sealed class AsyncClientLifeTests : AsyncFixture
{
    [Test]
    public async Task On_a_loop_the_caller_runs_the_client_works_from_any_thread_and_leaves_the_loop_running()
    {
        var broker = H.Broker();
        var loop = new Loop();
        using var stop = new CancellationTokenSource();
        var loopThread = new Thread(() =>
        {
            using var watchdog = loop.Timer(0.05, 0.05, () =>
            {
                if (stop.IsCancellationRequested)
                {
                    loop.Stop();
                }
            });
            loop.Run();
            loop.Dispose();
        });
        loopThread.Start();

        // Built from this thread while another one runs the loop: the engine is built there.
        var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Host = broker.Host, Port = broker.Port, Loop = loop, OnError = _ => { } } });
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        Assert.That(client.Loop, Is.SameAs(loop));
        Assert.That(broker.ReceivedBy("SEND"), Has.Count.EqualTo(1));
        await client.DisposeAsync();
        Assert.That(loopThread.IsAlive, Is.True, "closing leaves the caller's loop running");
        stop.Cancel();
        loopThread.Join();
    }

    [Test]
    public async Task On_a_loop_not_yet_running_the_constructor_does_not_wait_and_commands_run_once_it_does()
    {
        var broker = H.Broker();
        var loop = new Loop();
        var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Host = broker.Host, Port = broker.Port, Loop = loop, OnError = _ => { } } });
        var send = client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask();
        await Task.Delay(50);
        Assert.That(send.IsCompleted, Is.False, "nothing runs before the loop does");

        var loopThread = new Thread(() =>
        {
            loop.Run();
            loop.Dispose();
        });
        loopThread.Start();

        await send.WaitAsync(AsyncHarness.Timeout);
        await client.DisposeAsync();
        loop.Post(loop.Stop);
        loopThread.Join();
        Assert.That(broker.ReceivedBy("SEND"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_client_whose_loop_was_disposed_first_fails_its_commands_and_still_closes()
    {
        var broker = H.Broker();
        var loop = new Loop();
        var loopThread = new Thread(() =>
        {
            loop.Run();
            loop.Dispose();
        });
        loopThread.Start();
        var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Host = broker.Host, Port = broker.Port, Loop = loop, OnError = _ => { } } });
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        loop.Post(loop.Stop);
        loopThread.Join();

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.SendAsync("/queue/a", "late").AsTask().WaitAsync(AsyncHarness.Timeout));
        await client.DisposeAsync().AsTask().WaitAsync(AsyncHarness.Timeout);
    }

    [Test]
    public async Task Events_come_in_the_engines_order_and_a_handler_that_throws_goes_to_UnhandledException()
    {
        var broker = H.Broker();
        var client = H.Client(broker, o => new StomperOptions { Host = o.Host, Port = o.Port, Lazy = true, OnError = _ => { } });
        var trace = new List<string>();
        var failures = new List<Exception>();
        var done = new TaskCompletionSource();
        client.Connected += () =>
        {
            trace.Add("connected");
            throw new InvalidOperationException("handler bug");
        };
        client.Error += err => trace.Add($"error: {err.Message}");
        client.Disconnected += () =>
        {
            trace.Add("disconnected");
            done.TrySetResult();
        };
        client.UnhandledException += e =>
        {
            lock (failures)
            {
                failures.Add(e);
            }
        };
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        broker.Drop(0);

        await done.Task.WaitAsync(AsyncHarness.Timeout);
        Assert.That(trace, Is.EqualTo(new[] { "connected", "error: Connection closed by remote host.", "disconnected" }));
        lock (failures)
        {
            Assert.That(failures.Single().Message, Is.EqualTo("handler bug"));
        }
    }

    [Test]
    public async Task An_exception_on_the_clients_own_loop_reaches_UnhandledException_off_the_loop_thread_and_the_loop_goes_on()
    {
        var broker = H.Broker();
        var client = H.Client(broker, o => new StomperOptions { Host = o.Host, Port = o.Port, Lazy = true, OnError = _ => { } });
        var heard = new TaskCompletionSource<(Exception Error, bool OnLoopThread)>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.UnhandledException += e => heard.TrySetResult((e, client.Loop.IsLoopThread));

        client.Loop.Post(() => throw new InvalidOperationException("engine bug"));

        var (error, onLoopThread) = await heard.Task.WaitAsync(AsyncHarness.Timeout);
        Assert.That(error.Message, Is.EqualTo("engine bug"));
        Assert.That(onLoopThread, Is.False, "user code never runs on the loop thread");
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);
    }

    [Test]
    public async Task The_options_own_callbacks_are_called_in_order_off_the_loop_thread()
    {
        var broker = H.Broker();
        var trace = new List<string>();
        var done = new TaskCompletionSource();
        AsyncStomperClient client = null!;
        void Record(string what)
        {
            lock (trace)
            {
                trace.Add(client.Loop.IsLoopThread ? what + " ON THE LOOP" : what);
            }
        }

        client = H.Client(broker, o => new StomperOptions
        {
            Host = o.Host,
            Port = o.Port,
            Lazy = true,
            OnConnect = () => Record("on_connect"),
            OnError = err => Record("on_error: " + err.Message),
            OnDisconnect = () =>
            {
                Record("on_disconnect");
                done.TrySetResult();
            },
        });
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        broker.Drop(0);

        await done.Task.WaitAsync(AsyncHarness.Timeout);
        Assert.That(trace, Is.EqualTo(new[] { "on_connect", "on_error: Connection closed by remote host.", "on_disconnect" }));
    }

    [Test]
    public async Task A_SUBSCRIBE_cancelled_while_its_RECEIPT_is_awaited_is_taken_back()
    {
        var broker = H.Broker().HoldReceipts();
        var client = H.Client(broker);
        using var cancel = new CancellationTokenSource();

        var subscribe = client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/a" }, cancel.Token);
        broker.WaitFor(b => b.HeldReceipts.Count == 1, "the SUBSCRIBE's receipt held");
        cancel.Cancel();

        Assert.ThrowsAsync<TaskCanceledException>(async () => await subscribe.WaitAsync(AsyncHarness.Timeout));
        broker.ReleaseReceipts();
        Assert.That(broker.WaitForFrame("UNSUBSCRIBE")["id"], Is.EqualTo("s1"));
    }

    [Test]
    public async Task A_client_disposed_twice_closes_once_and_refuses_later_calls()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        await client.ConnectAsync();

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => client.SendAsync("/queue/a", "x"));
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.SubscribeAsync(new() { ["destination"] = "/queue/a" }));
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
    }
}
