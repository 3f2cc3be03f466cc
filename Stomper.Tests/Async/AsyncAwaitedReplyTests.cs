using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>
/// A consumer that awaits the broker's reply (a receipted SEND, a COMMIT) while the broker
/// floods its subscription: the RECEIPT is behind the messages, so a full buffer keeps
/// reading while a reply is awaited, up to <see cref="AsyncStomperOptions.MessageBufferLimit"/>.
/// </summary>
[TestFixture]
public sealed class AsyncAwaitedReplyTests : AsyncFixture
{
    private const int Buffer = 10;
    private const int Limit = 100;
    private const int Flood = 2000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Test]
    public async Task A_handler_that_commits_a_transaction_per_message_goes_on_while_the_broker_floods_it()
    {
        // Within the default limit (64 times the buffer): every RECEIPT is reached.
        var broker = H.Broker().FloodOnSubscribe(400, 100);
        var client = H.Client(broker, bufferSize: Buffer);
        var handled = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var subscription = await client.SubscribeAsync(
            new() { ["id"] = "s1", ["destination"] = "/queue/flood" },
            async (message, token) =>
            {
                await using var transaction = await client.BeginAsync(token);
                await transaction.SendAsync(new() { ["destination"] = "/queue/out", Body = message.Body }, token);
                await transaction.CommitAsync(token);
                if (Interlocked.Increment(ref handled) == 30)
                {
                    enough.TrySetResult();
                }
            }).WaitAsync(Patience);

        await enough.Task.WaitAsync(Patience);
        Assert.That(broker.FramesReceived("COMMIT"), Is.GreaterThanOrEqualTo(30));
    }

    [Test]
    public async Task Cancelling_the_awaiting_handlers_wait_lets_it_go_on_and_every_message_arrives_once_in_order()
    {
        var broker = H.Broker().FloodOnSubscribe(Flood, 100);
        var client = Client(broker);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var giveUp = new CancellationTokenSource();
        var ids = new List<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = 0;
        await using var subscription = await client.SubscribeAsync(
            new() { ["id"] = "s1", ["destination"] = "/queue/flood" },
            async (message, token) =>
            {
                if (ids.Count == 0)
                {
                    await gate.Task;
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, giveUp.Token);
                    try
                    {
                        await client.SendAsync(new() { ["destination"] = "/queue/out", ["receipt"] = "auto" }, linked.Token);
                    }
                    catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
                    {
                        cancelled++;
                    }
                }

                ids.Add(message.Headers["message-id"]!);
                if (ids.Count == Flood)
                {
                    all.TrySetResult();
                }
            }).WaitAsync(Patience);
        broker.HoldReceipts();
        await WaitFor(() => subscription.Buffered >= Buffer);
        gate.SetResult();
        await WaitFor(() => subscription.Buffered >= Limit);

        await giveUp.CancelAsync();

        await all.Task.WaitAsync(Patience);
        Assert.That(cancelled, Is.EqualTo(1));
        var sequence = ids.Select(id => long.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(sequence, Is.Unique.And.Ordered);
        Assert.That(sequence, Has.Count.EqualTo(Flood));
    }

    [Test]
    public void A_MessageBufferLimit_below_the_MessageBufferSize_is_refused_with_the_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Lazy = true },
            MessageBufferSize = 100,
            MessageBufferLimit = 99,
        }));

        Assert.That(error!.Message, Is.EqualTo("\"MessageBufferLimit\" (99) must be at least \"MessageBufferSize\" (100)"));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.That(condition(), Is.True, "in time");
    }

    private AsyncStomperClient Client(FakeBroker broker) => H.Client(broker, bufferSize: Buffer, bufferLimit: Limit);
}
