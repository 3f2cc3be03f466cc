using NUnit.Framework;
using Stomper.Async;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Integration;

/// <summary>The async client against the real RabbitMQ cluster and ActiveMQ, as ClientBrokerTests does for the callback API.</summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class AsyncBrokerTests : BrokerFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string NewQueue() => $"/queue/stomper-async-{Guid.NewGuid():N}";

    private static Endpoint Node(string broker) => broker == "rabbit" ? Brokers.Rabbit(1) : Brokers.ActiveMq;

    private static AsyncStomperClient Client(Endpoint node, int bufferSize = 1000, bool prefetch = false) => new(new AsyncStomperOptions
    {
        Client = new StomperOptions
        {
            Host = node.Host,
            Port = node.Port,
            Login = Brokers.Login,
            Passcode = Brokers.Passcode,
            Heartbeat = [1000, 1000],
            OnError = _ => { },
        },
        MessageBufferSize = bufferSize,
        BrokerPrefetch = prefetch,
    });

    private static async Task<List<Frame>> Take(AsyncSubscription subscription, int count)
    {
        var messages = new List<Frame>();
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var message in subscription.WithCancellation(timeout.Token))
        {
            messages.Add(message);
            if (messages.Count == count)
            {
                break;
            }
        }

        return messages;
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public async Task A_message_sent_with_SendAsync_reaches_an_await_foreach_subscriber(string broker)
    {
        await using var client = Client(Node(broker));
        await client.ConnectAsync().WaitAsync(Timeout);
        var queue = NewQueue();
        await using var subscription = await client.SubscribeAsync(new() { ["destination"] = queue }).WaitAsync(Timeout);

        await client.SendAsync(queue, "Hello, world!").AsTask().WaitAsync(Timeout);

        var messages = await Take(subscription, 1);
        Assert.That(messages.Single().Body, Is.EqualTo("Hello, world!"));
        await client.DisconnectAsync().AsTask().WaitAsync(Timeout);
        Assert.That(subscription.Completion.IsCompletedSuccessfully, Is.True);
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public async Task A_thousand_receipted_sends_from_the_thread_pool_all_complete(string broker)
    {
        await using var client = Client(Node(broker));
        var queue = NewQueue();

        var sends = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
            await client.SendAsync(new() { ["destination"] = queue, ["receipt"] = "auto", Body = $"m{i}" }))).ToArray();

        await Task.WhenAll(sends).WaitAsync(Timeout);
        await using var subscription = await client.SubscribeAsync(new() { ["destination"] = queue }).WaitAsync(Timeout);
        var bodies = (await Take(subscription, 1000)).Select(m => m.Body).ToHashSet();
        Assert.That(bodies, Has.Count.EqualTo(1000));
    }

    [Test]
    public async Task Client_individual_AckAsync_and_NackAsync_are_accepted_and_a_NACKed_message_comes_back()
    {
        await using var client = Client(Brokers.Rabbit(1));
        var queue = NewQueue();
        await using var subscription = await client.SubscribeAsync(new() { ["destination"] = queue, ["ack"] = "client-individual" }).WaitAsync(Timeout);
        await client.SendAsync(queue, "twice");

        await using var messages = subscription.GetAsyncEnumerator();
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(Timeout), Is.True);
        await client.NackAsync(messages.Current).AsTask().WaitAsync(Timeout);
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(Timeout), Is.True);
        await client.AckAsync(messages.Current).AsTask().WaitAsync(Timeout);

        Assert.That(messages.Current.Body, Is.EqualTo("twice"));
        Assert.That(messages.Current.Headers["redelivered"], Is.EqualTo("true"));
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public async Task A_committed_transaction_delivers_its_sends_and_an_aborted_one_none(string broker)
    {
        await using var client = Client(Node(broker));
        var queue = NewQueue();
        await using var subscription = await client.SubscribeAsync(new() { ["destination"] = queue }).WaitAsync(Timeout);

        await using (var aborted = await client.BeginAsync().WaitAsync(Timeout))
        {
            await aborted.SendAsync(new() { ["destination"] = queue, Body = "aborted" });
        }

        var committed = await client.BeginAsync().WaitAsync(Timeout);
        await committed.SendAsync(new() { ["destination"] = queue, Body = "one" });
        await committed.SendAsync(new() { ["destination"] = queue, Body = "two" });
        await committed.CommitAsync().AsTask().WaitAsync(Timeout);

        var bodies = (await Take(subscription, 2)).Select(m => m.Body);
        Assert.That(bodies, Is.EqualTo(new[] { "one", "two" }));
    }

    [TestCase("rabbit")]
    [TestCase("activemq")]
    public async Task A_stalled_consumer_with_broker_prefetch_holds_the_rest_at_the_broker_and_loses_nothing(string broker)
    {
        const int Total = 5000;
        const int Buffer = 100;
        var queue = NewQueue();
        await using (var publisher = Client(Node(broker)))
        {
            var window = new List<Task>();
            for (var i = 0; i < Total; i++)
            {
                window.Add(publisher.SendAsync(new() { ["destination"] = queue, Body = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).AsTask());
            }

            await publisher.SendAsync(new() { ["destination"] = queue, ["receipt"] = "auto", Body = "end" }).AsTask().WaitAsync(Timeout);
            await Task.WhenAll(window).WaitAsync(Timeout);
        }

        await using var consumer = Client(Node(broker), Buffer, prefetch: true);
        await using var subscription = await consumer.SubscribeAsync(new() { ["destination"] = queue, ["ack"] = "client-individual" }).WaitAsync(Timeout);
        await Task.Delay(3000);
        Assert.That(subscription.Buffered, Is.LessThanOrEqualTo(Buffer));
        Assert.That(consumer.IsConnected, Is.True, "heart-beats held while the consumer stalled");

        var seen = new HashSet<string>();
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var message in subscription.WithCancellation(timeout.Token))
        {
            await consumer.AckAsync(message);
            if (message.Body == "end")
            {
                break;
            }

            seen.Add(message.Body);
        }

        Assert.That(seen, Has.Count.EqualTo(Total));
    }

    [Test]
    public async Task A_refused_command_faults_with_the_brokers_ERROR_frame()
    {
        await using var client = Client(Brokers.Rabbit(1));

        var error = Assert.ThrowsAsync<StompException>(async () =>
            await client.SendAsync(new() { ["destination"] = "/no-such-kind/x", ["receipt"] = "auto", Body = "x" }).AsTask().WaitAsync(Timeout));

        Assert.That(error!.Code, Is.EqualTo(E_OPRN_ERROR));
        Assert.That(error.Error.Frame?.Command, Is.EqualTo("ERROR"));
        Assert.That(error.Message, Is.Not.Empty);
    }

    [Test]
    public async Task The_cluster_face_sends_and_receives_through_the_RabbitMQ_cluster()
    {
        var connected = new List<int>();
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Cluster = new ClusterOptions
            {
                Nodes = [.. Brokers.RabbitNodes.Select(n => new ClusterNode(n.Host, n.Port))],
                Login = Brokers.Login,
                Passcode = Brokers.Passcode,
                Heartbeat = [1000, 1000],
                ConnectionTimeout = 5,
                OnError = _ => { },
            },
        });
        client.NodeConnected += (_, port) =>
        {
            lock (connected)
            {
                connected.Add(port);
            }
        };
        var queue = NewQueue();
        await using var subscription = await client.SubscribeAsync(new() { ["destination"] = queue }).WaitAsync(Timeout);

        await client.SendAsync(new() { ["destination"] = queue, ["receipt"] = "auto", Body = "through the cluster" }).AsTask().WaitAsync(Timeout);

        Assert.That((await Take(subscription, 1)).Single().Body, Is.EqualTo("through the cluster"));
        lock (connected)
        {
            Assert.That(connected, Has.Count.EqualTo(1));
        }
    }
}
