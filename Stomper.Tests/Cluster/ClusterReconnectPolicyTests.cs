using Moq;
using NUnit.Framework;
using Stomper.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Cluster;

/// <summary>ClusterOptions.ReconnectPolicy (beyond the original): backoff across the node ring, on a hand-stepped loop.</summary>
[TestFixture]
public sealed class ClusterReconnectPolicyTests
{
    private static readonly StompError Refused = new("Can't connect to node:1: Connection refused", E_CANT_CONN);

    private static MockNodes WithPolicy(ReconnectPolicy? policy, int count = 3) =>
        new(count, configure: o => o.MockNodesWith(new() { OnNodeError = o.OnNodeError, OnError = o.OnError, ReconnectPolicy = policy }));

    private static CommandParams S1(MockNodes nodes) => new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = nodes.Record("s1") };

    /// <summary>Every node refuses once, in turn: one failed round.</summary>
    internal static void EveryNodeRefuses(MockNodes nodes)
    {
        for (var i = 0; i < nodes.Nodes.Count; i++)
        {
            nodes.Active.Fail(Refused);
        }
    }

    /// <summary>Lets the backoff under way run out, and the loop act on it.</summary>
    internal static void WaitOutTheBackoff(MockNodes nodes)
    {
        var delay = nodes.Cluster.Backoff!.CurrentDelay ?? throw new AssertionException("no backoff under way");
        nodes.Clock.Advance(delay.TotalSeconds + 0.001);
        nodes.Cluster.Loop.RunPending();
    }

    private static int Pending(MockNodes nodes) => nodes.Nodes.Sum(n => n.Commands.Count);

    [Test]
    public void Backoff_delays_are_drawn_from_zero_to_the_doubling_ceiling_and_never_above_the_cap()
    {
        var policy = new ReconnectPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), Multiplier = 2, MaxDelay = TimeSpan.FromMilliseconds(1500) };
        var random = new Random(7);
        double[] expectedCeilings = [100, 200, 400, 800, 1500, 1500, 1500];

        for (var round = 1; round <= expectedCeilings.Length; round++)
        {
            var delays = Enumerable.Range(0, 2000).Select(_ => policy.Delay(round, random).TotalMilliseconds).ToList();

            Assert.That(policy.Ceiling(round).TotalMilliseconds, Is.EqualTo(expectedCeilings[round - 1]).Within(0.001));
            Assert.That(delays, Is.All.InRange(0, expectedCeilings[round - 1]));
            Assert.That(delays.Min(), Is.LessThan(expectedCeilings[round - 1] * 0.05), "full jitter reaches down to zero");
            Assert.That(delays.Max(), Is.GreaterThan(expectedCeilings[round - 1] * 0.95), "and up to the ceiling");
        }

        Assert.That(policy.Ceiling(10_000), Is.EqualTo(TimeSpan.FromMilliseconds(1500)), "no overflow however long the outage");
        Assert.That(policy.Delay(3, new Random(1)), Is.EqualTo(policy.Delay(3, new Random(1))), "a seeded source replays");
    }

    [TestCase("BaseDelay", "\"ReconnectPolicy.BaseDelay\" must be a positive duration")]
    [TestCase("Multiplier", "\"ReconnectPolicy.Multiplier\" must be a finite number of at least 1")]
    [TestCase("MaxDelay", "\"ReconnectPolicy.MaxDelay\" must be at least BaseDelay")]
    [TestCase("MaxAttempts", "\"ReconnectPolicy.MaxAttempts\" must be null (no limit) or at least 1")]
    [TestCase("MaxWaitingCommands", "\"ReconnectPolicy.MaxWaitingCommands\" must be at least 1")]
    public void A_policy_that_makes_no_sense_is_refused_by_the_cluster_constructor(string property, string message)
    {
        var policy = property switch
        {
            "BaseDelay" => new ReconnectPolicy { BaseDelay = TimeSpan.Zero },
            "Multiplier" => new ReconnectPolicy { Multiplier = 0.5 },
            "MaxDelay" => new ReconnectPolicy { MaxDelay = TimeSpan.FromMilliseconds(50) },
            "MaxAttempts" => new ReconnectPolicy { MaxAttempts = 0 },
            _ => new ReconnectPolicy { MaxWaitingCommands = 0 },
        };

        Assert.That(() => WithPolicy(policy), Throws.ArgumentException.With.Message.EqualTo(message));
    }

    [Test]
    public void Within_a_round_the_next_node_is_tried_at_once()
    {
        var nodes = WithPolicy(new ReconnectPolicy());
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);

        Assert.That(nodes.Active.Commands.Select(c => c.Name), Is.EqualTo(new[] { "SEND" }), "the third node has it, with no wait");
        Assert.That(nodes.Cluster.Backoff!.CurrentDelay, Is.Null);
        Assert.That(nodes.Cluster.Backoff.FailuresInARow, Is.EqualTo(2));
    }

    [Test]
    public void A_subscription_outlives_an_outage_of_many_rounds_and_is_made_again_on_the_first_node_back()
    {
        var policy = new ReconnectPolicy();
        var nodes = WithPolicy(policy);
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);

        for (var round = 1; round <= 20; round++)
        {
            EveryNodeRefuses(nodes);

            Assert.That(Pending(nodes), Is.Zero, $"round {round}: nothing is tried during the backoff");
            Assert.That(nodes.Cluster.Backoff!.CurrentDelay, Is.LessThanOrEqualTo(policy.Ceiling(round)), $"round {round}");
            WaitOutTheBackoff(nodes);
            Assert.That(nodes.Active.Commands.Select(c => (c.Name, c.Params["id"])), Is.EqualTo(new[] { ("SUBSCRIBE", "s1") }), $"round {round}: tried again");
        }

        nodes.Active.Options.OwnerOnLogin!();
        nodes.Active.Receipt(0);

        Assert.That(nodes.Trace.Where(t => t.StartsWith("s1:", StringComparison.Ordinal)), Is.EqualTo(new[] { "s1: ok", "s1: ok" }),
            "the subscription's callback heard only its two RECEIPTs, never a loss");
        Assert.That(nodes.Cluster.SubscriptionCount, Is.EqualTo(1));
        Assert.That(nodes.Cluster.Backoff!.FailuresInARow, Is.Zero);
    }

    [Test]
    public void The_count_starts_afresh_once_a_node_answers_CONNECTED()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxAttempts = 4 });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "auto" }, nodes.Record("send"));
        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);
        Assert.That(nodes.Cluster.Backoff!.FailuresInARow, Is.EqualTo(2));

        nodes.Active.Options.OwnerOnLogin!();
        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);

        Assert.That(nodes.Trace.Any(t => t.StartsWith("send:", StringComparison.Ordinal)), Is.False, "five failures, but never four in a row");
        Assert.That(nodes.Cluster.Backoff.FailuresInARow, Is.EqualTo(3));
    }

    [Test]
    public void When_MaxAttempts_is_reached_the_subscription_is_given_up_with_the_last_error_and_the_reason()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxAttempts = 5 });
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);

        EveryNodeRefuses(nodes);
        WaitOutTheBackoff(nodes);
        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);

        Assert.That(nodes.Trace[^1], Is.EqualTo(
            $"s1: Operation \"SUBSCRIBE\" aborted: {Refused.Message} (gave up after 5 failed node attempts in a row: ReconnectPolicy.MaxAttempts)"));
        Assert.That(Pending(nodes), Is.Zero);
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
        Assert.That(nodes.Cluster.Backoff!.FailuresInARow, Is.Zero, "a command issued now starts a new count");
    }

    [Test]
    public void Every_command_cut_short_by_the_failure_that_reached_MaxAttempts_is_given_up_together()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxAttempts = 2 });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send1"));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b" }, nodes.Record("send2"));

        nodes.Active.Fail(Refused);
        nodes.Active.Fail(Refused);

        Assert.That(nodes.Trace.Count(t => t.StartsWith("send1: Operation \"SEND\" aborted", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(nodes.Trace.Count(t => t.StartsWith("send2: Operation \"SEND\" aborted", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(Pending(nodes), Is.Zero, "neither is tried a third time");
    }

    [Test]
    public void A_command_issued_during_the_backoff_waits_and_runs_after_the_kept_subscription_in_issue_order()
    {
        var nodes = WithPolicy(new ReconnectPolicy());
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);
        EveryNodeRefuses(nodes);

        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", Body = "meanwhile" }, nodes.Record("send"));
        nodes.Cluster.Loop.RunPending();

        Assert.That(Pending(nodes), Is.Zero, "it waits for the next round");
        Assert.That(nodes.Trace.Any(t => t.StartsWith("send:", StringComparison.Ordinal)), Is.False, "and is not answered meanwhile");

        WaitOutTheBackoff(nodes);

        Assert.That(nodes.Active.Commands.Select(c => c.Name), Is.EqualTo(new[] { "SUBSCRIBE", "SEND" }));
        Assert.That(nodes.Active.Commands[1].Params.Body, Is.EqualTo("meanwhile"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void An_UNSUBSCRIBE_of_a_waiting_subscription_follows_it_to_the_next_round_and_ends_it_there(bool keptThroughTheOutage)
    {
        // Model seed 212467: the UNSUBSCRIBE found no live connection and was refused, then
        // the waiting SUBSCRIBE was made again; issued during the backoff, it crashed.
        var nodes = WithPolicy(new ReconnectPolicy());
        if (keptThroughTheOutage)
        {
            nodes.Cluster.Subscribe(S1(nodes), _ => { });
            nodes.Active.Receipt(0);
            EveryNodeRefuses(nodes);
        }
        else
        {
            nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
            EveryNodeRefuses(nodes);
            nodes.Cluster.Subscribe(S1(nodes), _ => { });
        }

        nodes.Cluster.Unsubscribe(new() { ["id"] = "s1" }, nodes.Record("unsubscribe"));
        nodes.Cluster.Loop.RunPending();
        Assert.That(nodes.Trace.Any(t => t.StartsWith("unsubscribe:", StringComparison.Ordinal)), Is.False, "it waits with its subscription");

        WaitOutTheBackoff(nodes);
        var active = nodes.Active;
        var subscribe = active.Commands.FindIndex(c => c.Name == "SUBSCRIBE");
        Assert.That(active.Commands.Skip(subscribe).Select(c => c.Name), Is.EqualTo(new[] { "SUBSCRIBE", "UNSUBSCRIBE" }));
        active.Receipt(subscribe);
        active.Receipt(subscribe + 1);

        Assert.That(nodes.Trace[^1], Is.EqualTo("unsubscribe: ok"));
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void A_command_beyond_MaxWaitingCommands_fails_at_once_with_E_CANT_CONN()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxWaitingCommands = 2 });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send1"));
        EveryNodeRefuses(nodes);
        StompError? refused = null;

        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send2"));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send3"));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, err) => refused = err);
        nodes.Cluster.Loop.RunPending();

        Assert.That(refused?.Code, Is.EqualTo(E_CANT_CONN));
        Assert.That(refused?.Message, Is.EqualTo("Operation \"SEND\" aborted: no node is reachable and the commands waiting for one are at the limit of 2 (ReconnectPolicy.MaxWaitingCommands)"));
        WaitOutTheBackoff(nodes);
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(3), "the two added during the outage run, after the SEND the cluster retries of its own accord (not counted)");
    }

    [Test]
    public void A_SEND_issued_while_a_round_of_the_outage_is_under_way_counts_against_MaxWaitingCommands_once_it_waits()
    {
        // Issued after the outage began but while a round's node attempt was under way, a
        // SEND reaches that node's queue before it waits: it was added while no node
        // answered all the same, and must not escape the bound.
        var nodes = WithPolicy(new ReconnectPolicy { MaxWaitingCommands = 2 });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("before"));
        EveryNodeRefuses(nodes);
        WaitOutTheBackoff(nodes);
        for (var i = 1; i <= 5; i++)
        {
            nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record($"during{i}"));
        }

        EveryNodeRefuses(nodes);
        nodes.Cluster.Loop.RunPending();

        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.EqualTo(2));
        Assert.That(nodes.Trace.Where(t => t.EndsWith("(ReconnectPolicy.MaxWaitingCommands)", StringComparison.Ordinal)).Select(t => t[..t.IndexOf(':', StringComparison.Ordinal)]),
            Is.EqualTo(new[] { "during3", "during4", "during5" }), "three more than the bound, the latest");
        Assert.That(nodes.Trace.Any(t => t.StartsWith("before:", StringComparison.Ordinal)), Is.False, "the SEND admitted while a node answered waits uncounted");

        WaitOutTheBackoff(nodes);
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(3));
        nodes.Active.Receipt(1);
        nodes.Active.Receipt(2);
        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.Zero, "uncounted by their answers");
    }

    [Test]
    public void A_SUBSCRIBE_issued_during_the_outage_and_confirmed_is_not_counted_when_it_is_kept_through_the_next_outage()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxWaitingCommands = 1 });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        EveryNodeRefuses(nodes);
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        WaitOutTheBackoff(nodes);
        var subscribe = nodes.Active.Commands.FindIndex(c => c.Name == "SUBSCRIBE");
        nodes.Active.Receipt(subscribe);
        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.Zero);

        EveryNodeRefuses(nodes);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        nodes.Cluster.Loop.RunPending();

        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.EqualTo(1), "the kept subscription is not counted again, the new SEND is");
        Assert.That(nodes.Trace.Any(t => t.StartsWith("send:", StringComparison.Ordinal)), Is.False, "the SEND waits, not refused");
    }

    [Test]
    public void A_SUBSCRIBE_issued_during_the_outage_counts_against_MaxWaitingCommands_and_a_kept_one_does_not()
    {
        var nodes = WithPolicy(new ReconnectPolicy { MaxWaitingCommands = 1 });
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);
        EveryNodeRefuses(nodes);

        nodes.Cluster.Subscribe(new() { ["id"] = "s2", ["destination"] = "/queue/b", OnReceipt = nodes.Record("s2") }, _ => { });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        nodes.Cluster.Loop.RunPending();

        Assert.That(nodes.Trace[^1], Is.EqualTo("send: Operation \"SEND\" aborted: no node is reachable and the commands waiting for one are at the limit of 1 (ReconnectPolicy.MaxWaitingCommands)"));
        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.EqualTo(1));
        WaitOutTheBackoff(nodes);
        Assert.That(nodes.Active.Commands.Select(c => c.Params["id"]), Is.EqualTo(new[] { "s1", "s2" }));
        nodes.Active.Receipt(1);
        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.Zero, "uncounted by its RECEIPT");
    }

    [Test]
    public void Dispose_during_the_backoff_cancels_the_timer_and_answers_what_waited_once()
    {
        var nodes = WithPolicy(new ReconnectPolicy());
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        EveryNodeRefuses(nodes);
        var delay = nodes.Cluster.Backoff!.CurrentDelay!.Value;

        nodes.Cluster.Dispose();
        var answered = nodes.Trace.ToList();
        nodes.Clock.Advance(delay.TotalSeconds + 10);
        nodes.Cluster.Loop.RunPending();

        Assert.That(answered.Where(t => t.StartsWith("s1:", StringComparison.Ordinal) || t.StartsWith("send:", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "s1: Operation \"SUBSCRIBE\" aborted: Client object destroyed prematurely.",
            "send: Operation \"SEND\" aborted: Client object destroyed prematurely.",
        }));
        Assert.That(nodes.Trace, Is.EqualTo(answered), "nothing after Dispose");
        Assert.That(Pending(nodes), Is.Zero);
    }

    [Test]
    public void ForceDisconnect_during_the_backoff_aborts_what_waited_and_nothing_runs_later()
    {
        var nodes = WithPolicy(new ReconnectPolicy());
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);
        EveryNodeRefuses(nodes);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));

        nodes.Cluster.ForceDisconnect();
        nodes.Clock.Advance(10);
        nodes.Cluster.Loop.RunPending();

        Assert.That(nodes.Trace.Where(t => t.StartsWith("s1:", StringComparison.Ordinal) || t.StartsWith("send:", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "s1: ok",
            "s1: Operation \"SUBSCRIBE\" aborted: Connection closed by client prematurely.",
            "send: Operation \"SEND\" aborted: Connection closed by client prematurely.",
        }));
        Assert.That(Pending(nodes), Is.Zero, "nothing was tried after the backoff would have ended");
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
        Assert.That(nodes.Cluster.Backoff!.FailuresInARow, Is.Zero, "and the next command starts a new count");
    }

    [Test]
    public void ForceDisconnect_from_the_callback_of_a_command_refused_in_the_backoff_round_aborts_the_rest_of_the_round_unsent()
    {
        // The round took its commands off the backoff's list before running them, so a
        // force_disconnect from a callback it runs finds them in neither the list nor a node.
        var nodes = WithPolicy(new ReconnectPolicy());
        nodes.Cluster.Send(new() { ["destination"] = "/queue/refused" }, (_, err) =>
        {
            nodes.Trace.Add($"refused: {err?.Message}");
            nodes.Cluster.ForceDisconnect();
        });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, nodes.Record("send"));
        EveryNodeRefuses(nodes);
        foreach (var node in nodes.Nodes)
        {
            node.Mock.Setup(n => n.Execute(It.IsAny<string>(), It.Is<CommandParams>(p => p["destination"] == "/queue/refused"), It.IsAny<Action<Frame?, StompError?>?>()))
                .Throws(new InvalidOperationException("node refused it"));
        }

        WaitOutTheBackoff(nodes);
        nodes.Cluster.Loop.RunPending();

        Assert.That(nodes.Trace.Where(t => t.StartsWith("refused:", StringComparison.Ordinal) || t.StartsWith("send:", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "refused: Operation \"SEND\" aborted: node refused it",
            "send: Operation \"SEND\" aborted: Connection closed by client prematurely.",
        }));
        Assert.That(Pending(nodes), Is.Zero, "nothing issued before the force_disconnect is sent after it");
    }

    [Test]
    public void Without_a_policy_a_subscription_lost_on_every_node_is_given_up_at_once_as_in_the_original()
    {
        var nodes = WithPolicy(null);
        nodes.Cluster.Subscribe(S1(nodes), _ => { });
        nodes.Active.Receipt(0);

        EveryNodeRefuses(nodes);

        Assert.That(nodes.Trace[^1], Is.EqualTo($"s1: Operation \"SUBSCRIBE\" aborted: {Refused.Message}"));
        Assert.That(nodes.Cluster.Backoff, Is.Null);
        Assert.That(nodes.Cluster.SubscriptionCount, Is.Zero);
    }

    [Test]
    public void The_cluster_hands_its_OnBeforeConnect_to_every_node()
    {
        Action<ConnectHeaders> hook = h => h.Login = "fresh";
        var nodes = new MockNodes(3, configure: o => new ClusterOptions { Nodes = o.Nodes, Random = o.Random, Loop = o.Loop, NodeFactory = o.NodeFactory, OnBeforeConnect = hook });

        Assert.That(nodes.Nodes.Select(n => n.Options.OnBeforeConnect), Is.All.SameAs(hook));
    }
}
