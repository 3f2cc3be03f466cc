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
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Test]
    public async Task A_handler_that_commits_a_transaction_per_message_goes_on_while_the_broker_floods_it()
    {
        // Within the default limit (64 times the buffer): every RECEIPT is reached.
        await AssertHandlerGoesOn(null, "COMMIT", async (client, message, token) =>
        {
            await using var transaction = await client.BeginAsync(token);
            await transaction.SendAsync(new() { ["destination"] = "/queue/out", Body = message.Body }, token);
            await transaction.CommitAsync(token);
        });
    }

    [Test]
    public async Task A_handler_whose_SENDs_get_a_receipt_from_a_lower_case_command_headers_entry_goes_on_while_the_broker_floods_it()
    {
        // The engine upper-cases command_headers' keys: "send" receipts every SEND too.
        await AssertReceiptedSendsGoOn(commandHeaders: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["send"] = new Dictionary<string, string> { ["receipt"] = "auto" } });
    }

    [Test]
    public async Task A_handler_whose_SENDs_get_a_receipt_from_the_default_headers_goes_on_while_the_broker_floods_it()
    {
        await AssertReceiptedSendsGoOn(defaultHeaders: new Dictionary<string, string> { ["receipt"] = "auto" });
    }

    private Task AssertReceiptedSendsGoOn(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? commandHeaders = null,
        IReadOnlyDictionary<string, string>? defaultHeaders = null) =>
        AssertHandlerGoesOn(
            options => new StomperOptions { Host = options.Host, Port = options.Port, OnError = options.OnError, CommandHeaders = commandHeaders, DefaultHeaders = defaultHeaders },
            "SEND", (client, message, token) =>
            client.SendAsync(new() { ["destination"] = "/queue/out", Body = message.Body }, token).AsTask());

    /// <summary>The broker floods a subscription whose handler awaits replies; 30 messages get handled.</summary>
    private async Task AssertHandlerGoesOn(Func<StomperOptions, StomperOptions>? configure, string command, Func<AsyncStomperClient, Frame, CancellationToken, Task> handle)
    {
        var broker = H.Broker().FloodOnSubscribe(400, 100);
        var client = H.Client(broker, configure, bufferSize: Buffer);
        var handled = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var subscription = await client.SubscribeAsync(
            new() { ["id"] = "s1", ["destination"] = "/queue/flood" },
            async (message, token) =>
            {
                await handle(client, message, token);
                if (Interlocked.Increment(ref handled) == 30)
                {
                    enough.TrySetResult();
                }
            }).WaitAsync(Patience);

        await enough.Task.WaitAsync(Patience);
        Assert.That(broker.FramesReceived(command), Is.GreaterThanOrEqualTo(30));
    }

    [Test]
    public void A_command_headers_entry_that_is_null_is_refused_with_the_engines_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new()
            {
                Lazy = true,
                CommandHeaders = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["SEND"] = null! },
            },
        }));

        Assert.That(error!.Message, Is.EqualTo("\"command_headers\" must be specified as hash reference"));
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
}
