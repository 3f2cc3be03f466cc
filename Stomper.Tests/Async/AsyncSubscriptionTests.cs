using NUnit.Framework;
using Stomper.Async;
using Stomper.Testing;

namespace Stomper.Tests.Async;

/// <summary>Subscriptions of the async client: enumeration, handlers, acks, threads, and the end of a subscription.</summary>
[TestFixture]
public sealed class AsyncSubscriptionTests : AsyncFixture
{
    [Test]
    public async Task Messages_arrive_in_order_through_await_foreach_and_the_enumeration_ends_on_disconnect()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var subscription = await client.SubscribeAsync(new() { ["destination"] = "/queue/a" }).WaitAsync(AsyncHarness.Timeout);
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync("/queue/a", $"m{i}");
        }

        var bodies = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription)
            {
                bodies.Add(message.Body);
                if (bodies.Count == 10)
                {
                    await client.DisconnectAsync();
                }
            }
        });

        await reading.WaitAsync(AsyncHarness.Timeout);
        Assert.That(bodies, Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"m{i}")));
        Assert.That(subscription.Completion.IsCompletedSuccessfully, Is.True);
        Assert.That(subscription.Id, Does.StartWith("async-"), "an id is chosen when the call gives none");
    }

    [Test]
    public async Task A_second_consumer_of_one_subscription_is_refused()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/a" }).WaitAsync(AsyncHarness.Timeout);
        await using var first = subscription.GetAsyncEnumerator();

        var second = Assert.Throws<InvalidOperationException>(() => subscription.GetAsyncEnumerator());

        Assert.That(second!.Message, Does.StartWith("Subscription \"s1\" is already being consumed"));
    }

    [Test]
    public async Task User_code_never_runs_on_the_loop_thread()
    {
        var broker = H.Broker();

        // Lazy: it connects on the first command, after the event handler is attached.
        var client = H.Client(broker, o => new StomperOptions { Host = o.Host, Port = o.Port, Lazy = true });
        var onLoop = new List<string>();
        void Check(string where)
        {
            if (client.Loop.IsLoopThread)
            {
                lock (onLoop)
                {
                    onLoop.Add(where);
                }
            }
        }

        var connected = new TaskCompletionSource();
        client.Connected += () =>
        {
            Check("Connected event");
            connected.TrySetResult();
        };
        var handled = new TaskCompletionSource();
        var subscription = await client.SubscribeAsync(new() { ["destination"] = "/queue/a" }, async (msg, ct) =>
        {
            Check("handler");

            // A handler that blocks its thread holds back nothing on the loop.
            Thread.Sleep(10);
            await Task.Yield();
            handled.TrySetResult();
        });
        Check("after SubscribeAsync");
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" });
        Check("after a receipted SendAsync");
        await client.SendAsync("/queue/a", "x");
        Check("after SendAsync");

        await handled.Task.WaitAsync(AsyncHarness.Timeout);
        await connected.Task.WaitAsync(AsyncHarness.Timeout);
        Assert.That(onLoop, Is.Empty);
        await subscription.DisposeAsync();
        Assert.That(broker.WaitForFrame("UNSUBSCRIBE")["id"], Is.EqualTo(subscription.Id));
    }

    [Test]
    public async Task A_handler_that_throws_ends_its_subscription_with_its_exception()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var subscription = await client.SubscribeAsync(new() { ["destination"] = "/queue/a" }, (msg, ct) => throw new InvalidOperationException("handler bug"));

        await client.SendAsync("/queue/a", "boom");

        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await subscription.Completion.WaitAsync(AsyncHarness.Timeout));
        Assert.That(error!.Message, Is.EqualTo("handler bug"));
        Assert.That(broker.WaitForFrame("UNSUBSCRIBE")["id"], Is.EqualTo(subscription.Id));
    }

    [Test]
    public async Task A_handler_still_running_when_its_subscription_ends_sees_its_token_cancelled()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var started = new TaskCompletionSource();
        var stopped = new TaskCompletionSource<bool>();
        var subscription = await client.SubscribeAsync(new() { ["destination"] = "/queue/a" }, async (msg, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                stopped.TrySetResult(client.Loop.IsLoopThread);
            }
        });
        await client.SendAsync("/queue/a", "slow");
        await started.Task.WaitAsync(AsyncHarness.Timeout);

        await subscription.DisposeAsync();

        Assert.That(await stopped.Task.WaitAsync(AsyncHarness.Timeout), Is.False, "cancelled, and not on the loop's thread");
        await subscription.Completion.WaitAsync(AsyncHarness.Timeout);
    }

    [Test]
    public async Task AckAsync_acknowledges_the_message_it_is_given_and_a_second_ack_is_unexpected()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var subscription = await client.SubscribeAsync(new() { ["destination"] = "/queue/a", ["ack"] = "client-individual" });
        await client.SendAsync("/queue/a", "one");
        await using var messages = subscription.GetAsyncEnumerator();
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(AsyncHarness.Timeout), Is.True);

        await client.AckAsync(messages.Current).AsTask().WaitAsync(AsyncHarness.Timeout);
        var again = Assert.ThrowsAsync<StompException>(async () => await client.AckAsync(messages.Current));

        Assert.That(broker.WaitForFrame("ACK")["id"], Is.EqualTo(messages.Current.Headers["ack"]));
        Assert.That(again!.Message, Is.EqualTo("Unexpected ACK sent."));
    }

    [Test]
    public async Task A_subscription_lost_with_its_connection_ends_its_enumeration_with_the_loss_after_the_buffered_messages()
    {
        var broker = H.Broker();
        var client = H.Client(broker);
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/a" });
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "kept" });

        broker.Drop(0);

        var bodies = new List<string>();
        var error = Assert.ThrowsAsync<StompException>(async () =>
        {
            await foreach (var message in subscription.WithCancellation(new CancellationTokenSource(AsyncHarness.Timeout).Token))
            {
                bodies.Add(message.Body);
            }
        });
        Assert.That(bodies, Is.EqualTo(new[] { "kept" }));
        Assert.That(error!.Message, Is.EqualTo("Subscription \"s1\" lost: Connection closed by remote host."));
    }

    [Test]
    public async Task In_a_cluster_AckAsync_goes_to_the_node_that_delivered_and_fails_once_that_connection_is_gone()
    {
        var first = H.Broker();
        var second = H.Broker();
        var client = H.Cluster(first, second);
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/a", ["ack"] = "client-individual" }).WaitAsync(AsyncHarness.Timeout);
        var active = first.ConnectionsAccepted == 1 ? first : second;
        await client.SendAsync(new() { ["destination"] = "/queue/a", Body = "one" });
        await client.SendAsync(new() { ["destination"] = "/queue/a", Body = "two" });
        await using var messages = subscription.GetAsyncEnumerator();
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(AsyncHarness.Timeout), Is.True);
        var one = messages.Current;
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(AsyncHarness.Timeout), Is.True);
        var two = messages.Current;

        await client.AckAsync(one).AsTask().WaitAsync(AsyncHarness.Timeout);
        Assert.That(active.WaitForFrame("ACK")["id"], Is.EqualTo(one.Headers["ack"]));
        active.Kill();
        await client.SendAsync(new() { ["destination"] = "/queue/b", ["receipt"] = "auto" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        var stale = Assert.ThrowsAsync<StompException>(async () => await client.AckAsync(two).AsTask().WaitAsync(AsyncHarness.Timeout));
        Assert.That(stale!.Message, Is.EqualTo($"ACK not sent: the connection to {active.Host}:{active.Port} that delivered the message is closed; the server will redeliver it."));
    }

    [Test]
    public async Task The_same_API_drives_a_cluster_that_fails_over_and_makes_the_subscription_again()
    {
        var first = H.Broker();
        var second = H.Broker();
        var client = H.Cluster(first, second);
        var errors = new List<string>();
        client.NodeError += (err, host, port) =>
        {
            lock (errors)
            {
                errors.Add($"{port}: {err.Message}");
            }
        };
        var subscription = await client.SubscribeAsync(new() { ["id"] = "s1", ["destination"] = "/queue/a" }).WaitAsync(AsyncHarness.Timeout);
        var active = first.ConnectionsAccepted == 1 ? first : second;
        var standby = active == first ? second : first;

        active.Kill();
        await client.SendAsync(new() { ["destination"] = "/queue/a", ["receipt"] = "auto", Body = "after failover" }).AsTask().WaitAsync(AsyncHarness.Timeout);

        await using var messages = subscription.GetAsyncEnumerator();
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(AsyncHarness.Timeout), Is.True);
        Assert.That(messages.Current.Body, Is.EqualTo("after failover"));
        Assert.That(standby.ReceivedBy("SUBSCRIBE").Single()["id"], Is.EqualTo("s1"));
        Assert.That(client.IsCluster, Is.True);
        await Task.Delay(100);
        lock (errors)
        {
            Assert.That(errors, Has.Some.StartsWith($"{active.Port}: "));
        }
    }
}
