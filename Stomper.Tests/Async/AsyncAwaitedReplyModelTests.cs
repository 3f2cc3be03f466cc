using EventLoop;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Async;

/// <summary>
/// The pause of a full buffer against a model, on a hand-stepped loop and the scripted
/// server: messages pushed, taken, receipted SENDs awaited, answered and cancelled at random.
/// The model says how many messages are buffered and whether reading is paused after each step.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class AsyncAwaitedReplyModelTests
{
    private const int Buffer = 8;
    private const int Limit = 20;
    private const string Destination = "/queue/m";

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void A_full_buffer_pauses_reading_unless_a_reply_is_awaited_and_never_grows_past_its_limit(int seed)
    {
        var random = new Random(seed);
        var (server, loop, client) = Start();
        var subscription = Subscribe(loop, client);
        var messages = subscription.GetAsyncEnumerator();
        server.Receipts = ReceiptMode.Hold;
        var engine = (StomperClient)client.Engine;
        var model = new Model();
        var sends = new List<(Task Task, CancellationTokenSource Source, int Id)>();

        for (var step = 0; step < 600; step++)
        {
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    for (var i = random.Next(1, 6); i > 0; i--)
                    {
                        server.Connection.PushMessage(Destination, "m");
                        model.Stream.Enqueue(-1);
                    }

                    break;
                case 2:
                    for (var i = Math.Min(random.Next(1, 8), model.Buffered); i > 0; i--)
                    {
                        var next = messages.MoveNextAsync();
                        Assert.That(next.IsCompletedSuccessfully && next.Result, Is.True, "a buffered message is there to take");
                        model.Take();
                    }

                    break;
                case 3:
                    var source = new CancellationTokenSource();
                    var id = model.NextSend++;
                    sends.Add((client.SendAsync(new() { ["destination"] = "/queue/out", ["receipt"] = "auto" }, source.Token).AsTask(), source, id));
                    model.Awaited.Add(id);
                    break;
                case 4:
                    if (random.Next(2) == 0)
                    {
                        // The broker answers every SEND so far: the RECEIPTs queue behind the messages.
                        foreach (var send in sends.Where(s => !model.Answered.Contains(s.Id)))
                        {
                            model.Stream.Enqueue(send.Id);
                            model.Answered.Add(send.Id);
                        }

                        server.Connection.ReleaseReceipts();
                    }
                    else if (sends.Count > 0)
                    {
                        var (_, cancelled, cancelledId) = sends[random.Next(sends.Count)];
                        cancelled.Cancel();
                        model.Awaited.Remove(cancelledId);
                    }

                    break;
            }

            Settle(loop);
            model.Read();

            Assert.That(subscription.Buffered, Is.EqualTo(model.Buffered), $"step {step}: buffered");
            Assert.That(engine.IsReadingPaused, Is.EqualTo(model.Paused), $"step {step}: paused");
            Assert.That(subscription.Buffered, Is.LessThanOrEqualTo(Limit), $"step {step}: within the limit");
            foreach (var (task, source, sendId) in sends)
            {
                // Completed on the loop; the task hears of it through the thread pool.
                var expected = model.Completed.Contains(sendId) || source.IsCancellationRequested;
                Assert.That(expected ? SpinWait.SpinUntil(() => task.IsCompleted, 5000) : task.IsCompleted, Is.EqualTo(expected), $"step {step}: SEND {sendId} completed");
            }
        }

        Close(loop, client);
    }

    [Test]
    public void A_reply_that_never_comes_holds_a_full_buffer_at_its_limit_until_the_receipt_timeout_fails_it()
    {
        var (server, loop, client) = Start(receiptTimeout: TimeSpan.FromSeconds(5));
        var (subscription, send) = AwaitingAReplyThatNeverComes(server, loop, client, CancellationToken.None);
        Assert.That(subscription.Buffered, Is.EqualTo(Limit), "read past the buffer's size while the reply was awaited, up to the limit");
        Assert.That(((StomperClient)client.Engine).IsReadingPaused, Is.True);
        loop.Advance(4);
        Settle(loop);
        Assert.That(send.IsCompleted, Is.False);

        loop.Advance(2);
        Settle(loop);

        Assert.That(SpinWait.SpinUntil(() => send.IsCompleted, 5000), Is.True);
        var error = Assert.ThrowsAsync<StompException>(async () => await send);
        Assert.That(error!.Code, Is.EqualTo(E_RECEIPT_TIMEDOUT));
        Assert.That(subscription.Buffered, Is.EqualTo(Limit), "the messages read are still delivered");
        Assert.That(SpinWait.SpinUntil(() => subscription.Completion.IsCompleted, 5000), Is.True, "the connection was given up, and the subscription with it");
        Assert.That(subscription.Completion.IsFaulted, Is.True);
        Close(loop, client);
    }

    [Test]
    public void A_reply_that_never_comes_ends_when_the_client_is_disposed()
    {
        var (server, loop, client) = Start();
        var (subscription, send) = AwaitingAReplyThatNeverComes(server, loop, client, CancellationToken.None);
        Assert.That(subscription.Buffered, Is.EqualTo(Limit));

        Close(loop, client);

        Assert.That(SpinWait.SpinUntil(() => send.IsCompleted, 5000), Is.True);
        var error = Assert.ThrowsAsync<StompException>(async () => await send);
        Assert.That(error!.Code, Is.EqualTo(E_CONN_CLOSED_BY_CLIENT));
    }

    [Test]
    public void Cancelling_the_wait_for_a_reply_that_never_comes_brings_the_pause_back_at_the_buffers_size()
    {
        var (server, loop, client) = Start();
        using var giveUp = new CancellationTokenSource();
        var (subscription, send) = AwaitingAReplyThatNeverComes(server, loop, client, giveUp.Token);
        var messages = subscription.GetAsyncEnumerator();
        Assert.That(subscription.Buffered, Is.EqualTo(Limit));

        giveUp.Cancel();
        Settle(loop);
        Assert.That(SpinWait.SpinUntil(() => send.IsCompleted, 5000) && send.IsCanceled, Is.True);

        // The consumer goes on: drained to half its size, the buffer refills to its size
        // and no further, as with no reply awaited.
        for (var i = 0; i < Limit - (Buffer / 2); i++)
        {
            var next = messages.MoveNextAsync();
            Assert.That(next.IsCompletedSuccessfully && next.Result, Is.True);
        }

        Settle(loop);
        Assert.That(subscription.Buffered, Is.EqualTo(Buffer));
        Assert.That(((StomperClient)client.Engine).IsReadingPaused, Is.True);
        Close(loop, client);
    }

    [Test]
    public void A_handler_awaiting_a_reply_gets_it_while_another_subscriptions_full_buffer_holds_reading_back()
    {
        var (server, loop, client) = Start();
        var stalled = Subscribe(loop, client);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscribing = client.SubscribeAsync(new() { ["id"] = "relay", ["destination"] = "/queue/relay" }, async (_, token) =>
        {
            await gate.Task;
            await client.SendAsync(new() { ["destination"] = "/queue/out", ["receipt"] = "auto" }, token);
            confirmed.TrySetResult();
        });
        StepUntil(loop, subscribing);
        server.Connection.PushMessage("/queue/relay", "r");
        for (var i = 0; i < Buffer + 4; i++)
        {
            server.Connection.PushMessage(Destination, "m");
        }

        Settle(loop);
        Assert.That(stalled.Buffered, Is.EqualTo(Buffer), "the stalled buffer filled and paused reading");

        // The RECEIPT comes behind the four messages the pause holds back.
        gate.SetResult();
        StepUntil(loop, confirmed.Task);

        Assert.That(confirmed.Task.IsCompletedSuccessfully, Is.True, "the RECEIPT was read");
        Assert.That(stalled.Buffered, Is.EqualTo(Buffer + 4), "read past the stalled buffer's size while the reply was awaited");
        Assert.That(((StomperClient)client.Engine).IsReadingPaused, Is.True, "and paused again once it came");
        Close(loop, client);
    }

    /// <summary>A subscription, a receipted SEND whose RECEIPT the server holds, and three times the limit of messages pushed.</summary>
    private static (AsyncSubscription Subscription, Task Send) AwaitingAReplyThatNeverComes(ScriptedStompServer server, Loop loop, AsyncStomperClient client, CancellationToken cancellationToken)
    {
        var subscription = Subscribe(loop, client);
        server.Receipts = ReceiptMode.Hold;
        var send = client.SendAsync(new() { ["destination"] = "/queue/out", ["receipt"] = "auto" }, cancellationToken).AsTask();
        for (var i = 0; i < 3 * Limit; i++)
        {
            server.Connection.PushMessage(Destination, "m");
        }

        Settle(loop);
        return (subscription, send);
    }

    private static void StepUntil(Loop loop, Task task)
    {
        for (var i = 0; i < 100_000 && !task.IsCompleted; i++)
        {
            loop.RunOnce(block: false);
            Thread.Yield();
        }
    }

    private static (ScriptedStompServer Server, Loop Loop, AsyncStomperClient Client) Start(TimeSpan? receiptTimeout = null)
    {
        var server = new ScriptedStompServer();
        var loop = new Loop(new FakeClock());
        var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Loop = loop, Transport = server.Transport, ReceiptTimeout = receiptTimeout, OnError = _ => { } },
            MessageBufferSize = Buffer,
            MessageBufferLimit = Limit,
        });
        return (server, loop, client);
    }

    private static AsyncSubscription Subscribe(Loop loop, AsyncStomperClient client)
    {
        var subscribing = client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = Destination });
        StepUntil(loop, subscribing);
        return subscribing.Result;
    }

    /// <summary>Passes of the loop until the work the test and the consumer queued has run and the frames pushed were read, as far as reading goes.</summary>
    private static void Settle(Loop loop)
    {
        for (var i = 0; i < 50; i++)
        {
            loop.RunOnce(block: false);
        }
    }

    private static void Close(Loop loop, AsyncStomperClient client)
    {
        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, closing);
        closing.GetAwaiter().GetResult();
        loop.Dispose();
    }

    /// <summary>What the client should have done: the frames on the wire in order (-1 a MESSAGE, else the RECEIPT of that SEND), the buffer, and its pause.</summary>
    private sealed class Model
    {
        public Queue<int> Stream { get; } = new();

        public HashSet<int> Awaited { get; } = [];

        public HashSet<int> Answered { get; } = [];

        public HashSet<int> Completed { get; } = [];

        public int NextSend { get; set; }

        public int Buffered { get; private set; }

        public bool Full { get; private set; }

        public bool AtLimit { get; private set; }

        public bool Paused => AtLimit || (Full && Awaited.Count == 0);

        /// <summary>Frames are taken off the wire until a pause.</summary>
        public void Read()
        {
            while (!Paused && Stream.TryDequeue(out var frame))
            {
                if (frame >= 0)
                {
                    Completed.Add(frame);
                    Awaited.Remove(frame);
                    continue;
                }

                Buffered++;
                Full |= Buffered >= Buffer;
                AtLimit |= Full && Buffered >= Limit;
            }
        }

        public void Take()
        {
            Buffered--;
            if (Full && Buffered <= Buffer / 2)
            {
                Full = AtLimit = false;
            }
        }
    }
}
