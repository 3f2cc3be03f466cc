using EventLoop;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Async;

/// <summary>The async face reports a receipt timeout as any other failure: a <see cref="StompException"/> carrying its code.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class AsyncReceiptTimeoutTests
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
