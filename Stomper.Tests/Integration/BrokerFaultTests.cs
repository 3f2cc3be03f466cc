using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>
/// Kills and pauses broker nodes through scripts/brokers.sh. Each test leaves the
/// cluster healthy again (in finally), so later tests find all nodes up.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Integration")]
public class BrokerFaultTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(60);

    [OneTimeSetUp]
    public void StartBrokers() => Brokers.EnsureStarted();

    [Test]
    public async Task After_node_1_is_killed_a_subscriber_on_node_3_still_receives_what_is_sent_through_node_2()
    {
        var queue = $"/queue/stomper-failover-{Guid.NewGuid():N}";
        (string, string) quorum = ("x-queue-type", "quorum");

        // Declared through node 1, so the queue's leader is the node about to die.
        using (var declarer = await RawStomp.ConnectAsync(Brokers.Rabbit(1), Wait))
        {
            await declarer.SubscribeAsync(queue, "d", quorum, ("receipt", "declared"));
            await declarer.ExpectAsync("RECEIPT", Wait);
        }

        using var subscriber = await RawStomp.ConnectAsync(Brokers.Rabbit(3), Wait);
        await subscriber.SubscribeAsync(queue, "s3", quorum, ("receipt", "sub"));
        await subscriber.ExpectAsync("RECEIPT", Wait);
        using var publisher = await RawStomp.ConnectAsync(Brokers.Rabbit(2), Wait);
        await publisher.SendAsync(queue, "before", quorum, ("receipt", "before"));
        await publisher.ExpectAsync("RECEIPT", Wait);
        Assert.That((await subscriber.ExpectAsync("MESSAGE", Wait)).Body, Is.EqualTo("before"));

        try
        {
            Brokers.Kill("rabbit1");

            await publisher.SendAsync(queue, "after", quorum, ("receipt", "after"));
            await publisher.ExpectAsync("RECEIPT", Failover);
            var message = await subscriber.ExpectAsync("MESSAGE", Failover);
            Assert.That(message.Body, Is.EqualTo("after"));
        }
        finally
        {
            Brokers.Restart("rabbit1");
        }
        Assert.That(await RawStomp.AnswersConnectAsync(Brokers.Rabbit(1), Wait), Is.True, "node 1 answers again");
    }

    [Test]
    public async Task A_paused_node_stops_answering_and_answers_again_once_resumed()
    {
        var node = Brokers.Rabbit(3);
        Assert.That(await RawStomp.AnswersConnectAsync(node, Wait), Is.True, "answers before the pause");
        try
        {
            Brokers.Pause("rabbit3");
            Assert.That(await RawStomp.AnswersConnectAsync(node, TimeSpan.FromSeconds(2)), Is.False,
                "a paused node gives no CONNECTED within 2 s");
        }
        finally
        {
            Brokers.Resume("rabbit3");
        }
        try
        {
            Assert.That(await RawStomp.AnswersConnectAsync(node, Wait), Is.True, "answers once resumed");
        }
        finally
        {
            Brokers.EnsureHealthy(); // a pause may leave the others seeing a partition: wait until it healed
        }
    }

    [Test]
    public async Task Settle_queue_returns_for_a_new_quorum_queue_named_in_any_characters_and_fails_naming_one_that_does_not_exist()
    {
        // A quote and a non-ASCII letter: the name reaches the broker's Erlang as its UTF-8 bytes.
        var queue = $"stomper-settle-\"\u00e9-{Guid.NewGuid():N}";
        using (var client = await RawStomp.ConnectAsync(Brokers.Rabbit(2), Wait))
        {
            await client.SubscribeAsync("/queue/" + queue, "s1", ("x-queue-type", "quorum"), ("receipt", "sub"));
            await client.ExpectAsync("RECEIPT", Wait);
        }

        Assert.That(() => Brokers.SettleQueue(queue, seconds: 60), Throws.Nothing);
        var missing = Assert.Catch<InvalidOperationException>(() => Brokers.SettleQueue(queue + "-not-declared", seconds: 2));
        Assert.That(missing!.Message, Does.Contain($"'{queue}-not-declared' not settled within 2s"));
    }
}
