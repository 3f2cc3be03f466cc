using EventLoop;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Async;

/// <summary>The async client on a loop the test steps by hand, on a fake clock, against the scripted server: no socket, no sleeping.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class AsyncSteppedLoopTests
{
    private static void StepUntil(Loop loop, Task task)
    {
        for (var i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            loop.RunOnce(block: false);
            Thread.Yield();
        }
    }

    [Test]
    public async Task Commands_run_on_the_passes_of_the_tests_loop()
    {
        var server = new ScriptedStompServer();
        var loop = new Loop(new FakeClock());
        await using var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Loop = loop, Transport = server.Transport } });

        var send = client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "stepped" }).AsTask();
        StepUntil(loop, send);

        await send;
        Assert.That(server.ReceivedBy("SEND").Single().Body, Is.EqualTo("stepped"));
        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, closing);
        await closing;
        loop.Dispose();
    }

    [Test]
    public async Task A_hanging_connect_fails_a_waiting_ConnectAsync_after_the_connection_timeout_on_the_fake_clock()
    {
        var server = new ScriptedStompServer();
        server.Node("localhost", 61613).Mode = NodeMode.Hang;
        var loop = new Loop(new FakeClock());
        await using var client = new AsyncStomperClient(new AsyncStomperOptions { Client = new() { Loop = loop, Transport = server.Transport, ConnectionTimeout = 2, OnError = _ => { } } });

        var connect = client.ConnectAsync();
        StepUntil(loop, Task.Delay(50));
        Assert.That(connect.IsCompleted, Is.False);
        loop.Advance(2.5);
        StepUntil(loop, connect);

        var error = Assert.ThrowsAsync<StompException>(async () => await connect);
        Assert.That(error!.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(error.Message, Is.EqualTo("Can't connect to localhost:61613: Connection timed out"));
        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, closing);
        await closing;
        loop.Dispose();
    }

    [Test]
    public async Task A_receipt_that_never_comes_fails_SendAsync_with_a_StompException_of_code_E_RECEIPT_TIMEDOUT()
    {
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Hold };
        var loop = new Loop(new FakeClock());
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Loop = loop, Transport = server.Transport, ReceiptTimeout = TimeSpan.FromSeconds(2), OnError = _ => { } },
        });

        var send = client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }).AsTask();
        StepUntil(loop, Task.Delay(50));
        Assert.That(send.IsCompleted, Is.False);
        loop.Advance(2.5);
        StepUntil(loop, send);

        var error = Assert.ThrowsAsync<StompException>(async () => await send);
        Assert.That(error!.Code, Is.EqualTo(E_RECEIPT_TIMEDOUT));
        Assert.That(error.Message, Does.StartWith("Receipt timed out: no RECEIPT for SEND (receipt \"R_session-1.1\") from localhost:61613 within 2 s."));
        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, closing);
        await closing;
        loop.Dispose();
    }
}
