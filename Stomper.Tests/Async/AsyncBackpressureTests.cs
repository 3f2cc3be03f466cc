using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>
/// A consumer slower than the broker: the subscription's buffer stays bounded, the client
/// stops reading instead of growing, heart-beats go on both ways, and nothing is lost.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class AsyncBackpressureTests
{
    private const int Flood = 100_000;
    private const int Buffer = 500;

    [Test]
    public async Task A_stalled_consumer_keeps_memory_bounded_loses_nothing_and_heart_beats_hold()
    {
        await using var h = new AsyncHarness();
        var broker = h.Broker(new FakeBrokerOptions { HeartBeatSend = 200, HeartBeatReceive = 200 }).FloodOnSubscribe(Flood, 100);
        var errors = new List<string>();
        var client = h.Client(broker, o => new StomperOptions
        {
            Host = o.Host,
            Port = o.Port,
            Heartbeat = [200, 200],
            OnError = err =>
            {
                lock (errors)
                {
                    errors.Add(err.Message);
                }
            },
        }, bufferSize: Buffer);
        await client.ConnectAsync();
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/flood" });

        // The consumer stalls with its buffer full, for five times the 600 ms after which a
        // silent server counts as dead (beats of 200 ms, not less: on a loaded machine the
        // broker's own threads miss shorter ones, and the test would measure the machine).
        var deadline = DateTime.UtcNow + AsyncHarness.Timeout;
        while (subscription.Buffered < Buffer && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.That(subscription.Buffered, Is.EqualTo(Buffer), "the buffer filled");
        var beatsBefore = broker.HeartBeatsReceived.Sum(b => b.Eols);
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        await Task.Delay(3000);
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        Assert.That(subscription.Buffered, Is.EqualTo(Buffer), "nothing more was taken in while the consumer stalled");
        Assert.That(memoryAfter - memoryBefore, Is.LessThan(4 << 20), "memory stayed bounded");
        Assert.That(client.IsConnected, Is.True, "the pause was not taken for the server's silence");
        Assert.That(broker.HeartBeatsReceived.Sum(b => b.Eols) - beatsBefore, Is.GreaterThan(7), "the client kept beating");
        Assert.That(broker.Connection(0).IsOpen, Is.True);

        // Now the consumer catches up: every message, in order, once.
        var expected = 1L;
        await foreach (var message in subscription.WithCancellation(new CancellationTokenSource(AsyncHarness.Timeout).Token))
        {
            var id = message.Headers["message-id"]!;
            Assert.That(long.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(expected));
            Assert.That(subscription.Buffered, Is.LessThanOrEqualTo(Buffer));
            if (expected++ == Flood)
            {
                break;
            }
        }

        Assert.That(expected - 1, Is.EqualTo(Flood));
        lock (errors)
        {
            Assert.That(errors, Is.Empty);
        }
    }

    [Test]
    public async Task By_default_a_client_acknowledged_subscription_asks_the_broker_to_hold_back_and_an_explicit_header_wins()
    {
        await using var h = new AsyncHarness();
        var broker = h.Broker();
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Host = broker.Host, Port = broker.Port },
        });

        await using var acked = await client.SubscribeAsync(new() { ["destination"] = "/queue/a", ["ack"] = "client" });
        await using var own = await client.SubscribeAsync(new() { ["destination"] = "/queue/b", ["ack"] = "client", ["prefetch-count"] = "5" });

        var subscribes = broker.ReceivedBy("SUBSCRIBE");
        Assert.That(subscribes[0]["prefetch-count"], Is.EqualTo("1000"));
        Assert.That(subscribes[1]["prefetch-count"], Is.EqualTo("5"));
    }

    [Test]
    public async Task BrokerPrefetch_asks_both_brokers_to_hold_back_a_client_acknowledged_subscription()
    {
        await using var h = new AsyncHarness();
        var broker = h.Broker();
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Client = new() { Host = broker.Host, Port = broker.Port },
            MessageBufferSize = 64,
            BrokerPrefetch = true,
        });

        await using var acked = await client.SubscribeAsync(new() { ["destination"] = "/queue/a", ["ack"] = "client-individual" });
        await using var auto = await client.SubscribeAsync(new() { ["destination"] = "/queue/b" });

        var subscribes = broker.ReceivedBy("SUBSCRIBE");
        Assert.That(subscribes[0]["prefetch-count"], Is.EqualTo("64"));
        Assert.That(subscribes[0]["activemq.prefetchSize"], Is.EqualTo("64"));
        Assert.That(subscribes[1]["prefetch-count"], Is.Null, "an auto-acknowledged subscription has nothing to hold back");
    }
}
