using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;
using Stomper.Tests.Async;
using Stomper.Tests.Client;

namespace Stomper.Tests.Review;

/// <summary>
/// Third review, issue 12's async client: a full buffer pauses the whole connection, and what
/// the consumer does next must not wait for a frame that the pause holds back.
/// </summary>
[TestFixture]
public sealed class ThirdReviewAsyncTests : AsyncFixture
{
    private const int Buffer = 10;
    private const int Flood = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Disposing_a_subscription_whose_full_buffer_paused_reading_completes_and_the_connection_reads_again()
    {
        var (client, subscription) = await FullSubscription();

        // The consumer gives up without reading (a `break` out of the await foreach, say):
        // the UNSUBSCRIBE's RECEIPT sits behind the messages the pause holds back.
        await subscription.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.That(subscription.Completion.IsCompletedSuccessfully, Is.True);
        Assert.That(subscription.Buffered, Is.LessThanOrEqualTo(Buffer), "what came after the dispose did not grow the buffer");
        await client.SendAsync(new() { ["destination"] = "/queue/b", ["receipt"] = "auto", Body = "after" }).AsTask().WaitAsync(Patience);
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public async Task Disconnecting_while_a_full_buffer_paused_reading_completes_and_the_buffered_messages_are_still_read()
    {
        var (client, subscription) = await FullSubscription();

        await client.DisconnectAsync().AsTask().WaitAsync(Patience);

        var read = 0;
        await foreach (var _ in subscription.WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            read++;
        }

        Assert.That(read, Is.EqualTo(Buffer), "the messages buffered before the DISCONNECT are delivered, nothing piles up after it");
        Assert.That(subscription.Completion.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task A_handler_that_throws_a_StompException_ends_its_subscription_with_it_and_unsubscribes()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var failure = new StompException(new StompError("Unexpected ACK sent.", ErrorCode.E_OPRN_ERROR));
        var subscription = await client.SubscribeAsync(
            new() { ["id"] = "s1", ["destination"] = "/queue/a" },
            (_, _) => throw failure).WaitAsync(Patience);

        await client.SendAsync("/queue/a", "m1");

        // The handler's own StompException (an ACK or SEND it awaited that failed) was taken
        // for the subscription's loss and swallowed: the pump died, the subscription lived
        // on with nobody reading it, and its buffer would fill and pause the connection.
        var ended = Assert.ThrowsAsync<StompException>(() => subscription.Completion.WaitAsync(Patience));
        Assert.That(ended, Is.SameAs(failure));
        broker.WaitForFrame("UNSUBSCRIBE", timeout: Patience);
    }

    [Test]
    public async Task A_handler_awaiting_a_RECEIPT_while_its_buffer_fills_does_not_deadlock()
    {
        var broker = H.Broker().FloodOnSubscribe(Flood, 100);
        var client = H.Client(broker, bufferSize: Buffer);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A handler that confirms each message with a receipted SEND (or commits a
        // transaction) waits for a RECEIPT that is behind the messages filling its buffer:
        // the buffer fills, reading pauses, and the RECEIPT is never read.
        await using var subscription = await client.SubscribeAsync(
            new() { ["id"] = "s1", ["destination"] = "/queue/flood" },
            async (_, token) =>
            {
                await client.SendAsync(new() { ["destination"] = "/queue/out", ["receipt"] = "auto", Body = "seen" }, token);
                handled.TrySetResult();
            }).WaitAsync(Patience);

        await handled.Task.WaitAsync(Patience);
    }

    [Test]
    public async Task SendAsync_of_a_destination_and_a_text_body_allocates_nothing_per_message_once_warm()
    {
        const int sends = 100_000;
        var transport = new CountingTransport();
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { HandleParams = new() { Autocork = true }, Transport = transport.AnsweringOn },
        });
        await client.ConnectAsync().WaitAsync(Patience);
        await SendTexts(client, 30_000);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await SendTexts(client, sends);
        var perSend = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / sends;

        // The docs promise a warm client allocates nothing per SendAsync; this overload made
        // a CommandParams and its header array per call (well over 100 bytes).
        Assert.That(transport.BytesSent, Is.GreaterThan(sends * 20L), "the SENDs went out");
        Assert.That(perSend, Is.LessThan(16), $"{perSend:F1} bytes allocated per SendAsync(destination, body)");
    }

    [Test]
    public async Task Disposing_the_client_with_an_open_transaction_completes_when_the_broker_has_stopped_reading()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var peer = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(stop.Token);
            var read = new StringBuilder();
            await ReadFrames(socket, read, 1, stop.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("CONNECTED\nversion:1.2\n\n\0"), stop.Token);
            await ReadFrames(socket, read, 2, stop.Token);
            var receipt = Regex.Match(read.ToString(), "receipt:([^\n]+)").Groups[1].Value;
            await socket.SendAsync(Encoding.ASCII.GetBytes($"RECEIPT\nreceipt-id:{receipt}\n\n\0"), stop.Token);

            // A broker that has stopped reading (hung, or its buffers full) and keeps the socket.
            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Host = "127.0.0.1", Port = ((IPEndPoint)listener.LocalEndpoint).Port, OnError = _ => { } },
        });
        await client.ConnectAsync().WaitAsync(Patience);
        await client.BeginAsync().WaitAsync(Patience);

        // More than the kernel's buffers take: the rest waits in the client, and so would an ABORT.
        _ = client.SendAsync(new() { ["destination"] = "/queue/a", BodyBytes = new byte[64 << 20] });

        // DisposeAsync "closes at once"; it waited for the ABORT to be written, for ever.
        await client.DisposeAsync().AsTask().WaitAsync(Patience);
        await stop.CancelAsync();
        await peer.WaitAsync(Patience);
    }

    /// <summary>Reads until <paramref name="frames"/> NULs (ends of frames) have come in all.</summary>
    private static async Task ReadFrames(Socket socket, StringBuilder read, int frames, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (read.ToString().Count(c => c == '\0') < frames)
        {
            var n = await socket.ReceiveAsync(buffer, cancellationToken);
            if (n == 0)
            {
                throw new IOException("the client closed the connection");
            }

            read.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
    }

    /// <summary>One producer keeping 64 sends in flight, as AsyncAllocationTests does.</summary>
    private static async Task SendTexts(AsyncStomperClient client, int count)
    {
        var window = new ValueTask[64];
        for (var i = 0; i < count; i++)
        {
            var slot = i % window.Length;
            await window[slot];
            window[slot] = client.SendAsync("/queue/a", "x");
        }

        foreach (var pending in window)
        {
            await pending;
        }
    }

    /// <summary>A subscription whose buffer the broker has filled, so that the client has stopped reading.</summary>
    private async Task<(AsyncStomperClient Client, AsyncSubscription Subscription)> FullSubscription()
    {
        var broker = H.Broker().FloodOnSubscribe(Flood, 100);
        var client = H.Client(broker, bufferSize: Buffer);
        await client.ConnectAsync().WaitAsync(Patience);
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/flood" }).WaitAsync(Patience);
        var deadline = DateTime.UtcNow + Patience;
        while (subscription.Buffered < Buffer && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await Task.Delay(100);
        Assert.That(subscription.Buffered, Is.EqualTo(Buffer), "the buffer filled and reading paused");
        return (client, subscription);
    }
}
