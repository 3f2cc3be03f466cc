using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>
/// The send journal and the reconnect policy together through an outage of many rounds:
/// what the cluster sends again of its own accord waits for a node, and only the commands
/// the application adds while no node answers count against MaxWaitingCommands.
/// </summary>
[TestFixture]
public sealed class JournalThroughAnOutageTests
{
    private const int MaxWaiting = 2;

    private static MockNodes Outage() =>
        ClusterSendJournalTests.Journaled(3, policy: new ReconnectPolicy { MaxWaitingCommands = MaxWaiting });

    [Test]
    public void Journaled_SENDs_beyond_MaxWaitingCommands_wait_out_a_long_outage_and_are_sent_once_a_node_returns_in_order_each_answered_once()
    {
        var nodes = Outage();
        var answers = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            var label = $"send{i}";
            nodes.Cluster.Send(new() { ["destination"] = "/queue/a", Body = label }, (_, e) => answers.Add($"{label}: {e?.Message ?? "ok"}"));
        }

        for (var round = 1; round <= 6; round++)
        {
            ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);
            nodes.Cluster.Loop.RunPending();
            Assert.That(answers, Is.Empty, $"round {round}: every journaled SEND waits, none is refused as one too many");
            Assert.That(nodes.Cluster.JournalCount, Is.EqualTo(5), $"round {round}");
            ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
        }

        var back = nodes.Active;
        back.Options.OwnerOnLogin!();
        Assert.That(back.Commands.Select(c => c.Params.Body), Is.EqualTo(new[] { "send1", "send2", "send3", "send4", "send5" }), "in the order issued");
        for (var i = 0; i < 5; i++)
        {
            back.Receipt(i);
        }

        Assert.That(answers, Is.EqualTo(new[] { "send1: ok", "send2: ok", "send3: ok", "send4: ok", "send5: ok" }));
        Assert.That(nodes.Cluster.JournalCount, Is.Zero);
        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.Zero);
    }

    [Test]
    public void Commands_the_application_adds_during_the_outage_are_the_ones_bounded_and_the_one_too_many_is_refused_with_the_documented_error()
    {
        var nodes = Outage();
        var answers = new List<string>();
        void Send(string label) => nodes.Cluster.Send(new() { ["destination"] = "/queue/a", Body = label }, (_, e) => answers.Add($"{label}: {e?.Message ?? "ok"}"));
        Send("before1");
        Send("before2");
        Send("before3");
        ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);

        Send("during1");
        Send("during2");
        Send("during3");
        nodes.Cluster.Loop.RunPending();

        Assert.That(answers, Is.EqualTo(new[] { "during3: Operation \"SEND\" aborted: no node is reachable and the commands waiting for one are at the limit of 2 (ReconnectPolicy.MaxWaitingCommands)" }));
        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.EqualTo(MaxWaiting));

        // Another round fails: the two the application added still count (they have not been
        // answered), and nothing else does.
        ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
        ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);
        Send("during4");
        nodes.Cluster.Loop.RunPending();
        Assert.That(answers[^1], Does.StartWith("during4: Operation \"SEND\" aborted: no node is reachable"));
        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.EqualTo(MaxWaiting));

        ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
        var back = nodes.Active;
        Assert.That(back.Commands.Select(c => c.Params.Body), Is.EqualTo(new[] { "before1", "before2", "before3", "during1", "during2" }));
        back.Receipt(3);
        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.EqualTo(1), "uncounted when answered");
        back.Receipt(4);
        Assert.That(nodes.Cluster.Backoff.WaitingCommands, Is.Zero);
    }

    [Test]
    public void A_BEGIN_the_cluster_begins_anew_after_a_failed_round_does_not_count_against_MaxWaitingCommands()
    {
        var nodes = Outage();
        var answers = new List<string>();
        nodes.Cluster.Begin(new() { ["transaction"] = "t1" }, (_, e) => answers.Add($"begin t1: {e?.Message ?? "ok"}"));
        nodes.Cluster.Begin(new() { ["transaction"] = "t2" }, (_, e) => answers.Add($"begin t2: {e?.Message ?? "ok"}"));
        nodes.Cluster.Begin(new() { ["transaction"] = "t3" }, (_, e) => answers.Add($"begin t3: {e?.Message ?? "ok"}"));

        ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);
        nodes.Cluster.Loop.RunPending();

        Assert.That(answers, Is.Empty);
        Assert.That(nodes.Cluster.Backoff!.WaitingCommands, Is.Zero);
        ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
        Assert.That(nodes.Active.Commands.Select(c => c.Params["transaction"]), Is.EqualTo(new[] { "t1", "t2", "t3" }));
    }

    /// <summary>Every way a counted command can end: its count goes with it.</summary>
    [TestCase("receipt")]
    [TestCase("force_disconnect")]
    [TestCase("dispose")]
    [TestCase("dispose from a callback")]
    [TestCase("refused by the node client")]
    [TestCase("max attempts")]
    [TestCase("broker ERROR")]
    public void The_count_of_waiting_commands_returns_to_zero_however_they_are_answered(string path)
    {
        var nodes = ClusterSendJournalTests.Journaled(2, policy: new ReconnectPolicy { MaxWaitingCommands = 3, MaxAttempts = path == "max attempts" ? 4 : null });
        var cluster = nodes.Cluster;
        var answers = new List<string>();
        cluster.Send(new() { ["destination"] = "/queue/a", Body = "kept" }, (_, e) => answers.Add("kept"));
        ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);
        for (var i = 0; i < 3; i++)
        {
            var label = $"added{i}";
            cluster.Send(new() { ["destination"] = "/queue/a", Body = label }, (_, e) =>
            {
                answers.Add(label);
                if (path == "dispose from a callback")
                {
                    cluster.Dispose();
                }
            });
        }

        cluster.Begin(new() { ["transaction"] = "t" }, (_, _) => answers.Add("begin"));
        cluster.Loop.RunPending();
        Assert.That(cluster.Backoff!.WaitingCommands, Is.EqualTo(3), "the BEGIN is one too many");
        Assert.That(answers, Is.EqualTo(new[] { "begin" }));

        switch (path)
        {
            case "receipt":
                ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
                for (var i = 0; i < nodes.Active.Commands.Count; i++)
                {
                    nodes.Active.Receipt(i);
                }

                break;
            case "force_disconnect":
                cluster.ForceDisconnect();
                break;
            case "dispose":
                cluster.Dispose();
                break;
            case "dispose from a callback":
                cluster.ForceDisconnect();
                break;
            case "refused by the node client":
                // Each node's client is gone on its own: a waiting command it refuses is answered.
                foreach (var node in nodes.Nodes)
                {
                    node.Mock.Object.Dispose();
                }

                ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
                break;
            case "max attempts":
                ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
                ClusterReconnectPolicyTests.EveryNodeRefuses(nodes);
                break;
            case "broker ERROR":
                ClusterReconnectPolicyTests.WaitOutTheBackoff(nodes);
                foreach (var (_, _, callback) in nodes.Active.Commands.ToList())
                {
                    callback!(null, new StompError("refused", E_OPRN_ERROR, new Frame("ERROR")));
                }

                break;
        }

        cluster.Loop.RunPending();
        Assert.That(answers.Where(a => a.StartsWith("added", StringComparison.Ordinal)), Is.EquivalentTo(new[] { "added0", "added1", "added2" }), "each answered once");
        Assert.That(cluster.Backoff.WaitingCommands, Is.Zero);
    }
}
