using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using Stomper.Tests.Model;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>
/// A seeded model of issue 14's three features together, which were built apart: the send
/// journal and a deduplication window under a reconnect policy (random MaxAttempts, a small
/// waiting list), with node failures by reset or by receipt timeout, whole outages and their
/// backoffs stepped by hand, force_disconnect, NACKs, and callbacks that throw or issue
/// SENDs. After every step: no callback twice, the journal within its bounds, no repeat to
/// the application but a redelivery it asked for, MaxWaitingCommands counting only the
/// SENDs the application added while no node answered and has not heard back about (never
/// one the cluster sends again of its own accord, so that only such a SEND is ever refused
/// as one too many); at the end (Dispose): every callback once,
/// a success had its RECEIPT, "certainly not delivered" was never written, and nothing runs
/// after Dispose.
/// </summary>
[TestFixture]
public sealed class JournalPolicyModelTests
{
    private const int MaxCount = 6;
    private const long MaxBytes = 40;

    [Test]
    public void Random_runs_of_the_journal_dedup_and_reconnect_policy_together_keep_every_invariant([Range(1, 60)] int seed) => Run(seed, 500);

    /// <summary>For longer runs by hand: MODEL_SEED and MODEL_STEPS.</summary>
    [Test]
    [Explicit("long run by hand")]
    public void A_long_run_keeps_every_invariant()
    {
        var first = int.Parse(Environment.GetEnvironmentVariable("MODEL_SEED") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
        var runs = int.Parse(Environment.GetEnvironmentVariable("MODEL_RUNS") ?? "2000", System.Globalization.CultureInfo.InvariantCulture);
        var stats = new Dictionary<string, int>();
        for (var seed = first; seed < first + runs; seed++)
        {
            Run(seed, 800, stats);
        }

        // What the runs went through, so that a model that stopped reaching a path shows it.
        foreach (var (key, count) in stats.OrderByDescending(kv => kv.Value))
        {
            TestContext.Progress.WriteLine($"{count,8} {key}");
        }
    }

    private static void Run(int seed, int steps, Dictionary<string, int>? stats = null)
    {
        var random = new Random(seed);
        var policy = new ReconnectPolicy
        {
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromMilliseconds(800),
            MaxAttempts = random.Next(3) == 0 ? null : random.Next(1, 10),
            MaxWaitingCommands = random.Next(1, 8),
        };
        var nodeCount = random.Next(1, 4);
        var nodes = ClusterSendJournalTests.Journaled(nodeCount, new SendJournalOptions { MaxCount = MaxCount, MaxBytes = MaxBytes }, seed, policy);
        var cluster = nodes.Cluster;
        var answers = new Dictionary<int, List<StompError?>>();
        var written = new HashSet<string>();
        var receipted = new HashSet<string>();
        var delivered = new List<string>();
        var application = new List<string>();
        var nacked = new HashSet<string>();
        var received = new List<Frame>();
        var disposed = false;
        var afterDispose = 0;
        var issued = 0;

        // The SENDs held when issued, counted against MaxWaitingCommands until answered; and
        // those issued while no node answered (a backoff, or a round's attempts under way),
        // the only ones it may count, or refuse as one too many, once they wait.
        var counted = new HashSet<int>();
        var issuedInOutage = new HashSet<int>();
        var deliveries = 0;
        var context = $"seed {seed} (nodes {nodeCount}, max attempts {policy.MaxAttempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, waiting {policy.MaxWaitingCommands})";

        void Send(int depth)
        {
            var n = ++issued;
            answers[n] = [];
            var throws = random.Next(8) == 0;
            var chained = depth < 2 && random.Next(6) == 0;
            if (cluster.Backoff!.Outage)
            {
                issuedInOutage.Add(n);
            }

            var countedBefore = cluster.Backoff.WaitingCommands;
            cluster.Send(new() { ["destination"] = "/q", Body = new string('x', random.Next(0, 12)) }, (_, e) =>
            {
                if (disposed && answers[n].Count > 0)
                {
                    afterDispose++;
                }

                answers[n].Add(e);
                if (chained && !disposed)
                {
                    Send(depth + 1);
                }

                if (throws)
                {
                    throw new UserCallbackException();
                }
            });
            if (cluster.Backoff.WaitingCommands > countedBefore)
            {
                counted.Add(n);
            }
        }

        var subscribeAnswers = new List<StompError?>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 1000, OnReceipt = (_, e) => subscribeAnswers.Add(e) }, m =>
        {
            if (disposed)
            {
                afterDispose++;
            }

            application.Add(m.Headers[SendJournalOptions.IdHeader] ?? "none");
            received.Add(m);
        });

        for (var step = 0; step < steps; step++)
        {
            var node = nodes.Nodes[random.Next(nodes.Nodes.Count)];
            try
            {
                switch (random.Next(20))
                {
                    case < 7:
                        Send(0);
                        break;
                    case < 10 when node.Pending("SEND") is { } index:
                        var sendId = node.Commands[index].Params[SendJournalOptions.IdHeader]!;
                        written.Add(sendId);
                        receipted.Add(sendId);
                        delivered.Add(sendId);
                        node.Answer(index);
                        break;
                    case 10 when node.Pending("SUBSCRIBE") is { } subscribe:
                        // Confirmed: it stays with its node, to deliver and to be lost with it.
                        var made = node.Commands[subscribe];
                        node.Commands[subscribe] = ("SUBSCRIBED", made.Params, made.Callback);
                        made.Callback!(new Frame("RECEIPT"), null);
                        break;
                    case 11 when node.Pending("SEND") is { } refused:
                        node.Answer(refused, new StompError("refused", E_OPRN_ERROR, new Frame("ERROR")));
                        break;
                    case < 14:
                        Fail(node, random, written, delivered, random.Next(2) == 0 ? new StompError("Connection reset by peer", E_IO) : new StompError("Timed out waiting for a receipt", E_RECEIPT_TIMEDOUT));
                        break;
                    case 14 when delivered.Count > 0 && Subscription(node) is { } onMessage:
                        var message = delivered[random.Next(delivered.Count)];
                        deliveries++;
                        onMessage(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "m" + step), (SendJournalOptions.IdHeader, message)), "x"));
                        break;
                    case 15 when received.Count > 0:
                        var refusedMessage = received[random.Next(received.Count)];
                        nacked.Add(refusedMessage.Headers[SendJournalOptions.IdHeader]!);
                        cluster.Nack(new() { Message = refusedMessage });
                        break;
                    case 16 when random.Next(6) == 0:
                        cluster.ForceDisconnect();
                        break;
                    default:
                        nodes.Clock.Advance(random.NextDouble() * 0.5);
                        cluster.Loop.RunOnce(block: false);
                        break;
                }
            }
            catch (UserCallbackException)
            {
                // A SEND's callback threw through the step that answered it, as it would
                // through the loop; the cluster must carry on.
            }

            if (stats is not null && cluster.Backoff?.CurrentDelay is not null)
            {
                Count(stats, "steps in a backoff");
            }

            Assert.That(cluster.JournalCount, Is.InRange(0, MaxCount), $"{context} step {step}: journal count");
            Assert.That(cluster.JournalBytes, Is.InRange(0, MaxBytes), $"{context} step {step}: journal bytes");
            Assert.That(answers.Where(a => a.Value.Count > 1).Select(a => a.Key), Is.Empty, $"{context} step {step}: a callback called twice");
            Assert.That(application.Where(id => !nacked.Contains(id)), Is.Unique, $"{context} step {step}: a message delivered twice to the application");
            var backoff = cluster.Backoff!;
            Assert.That(backoff.WaitingCommands, Is.InRange(counted.Count(n => answers[n].Count == 0), Math.Min(policy.MaxWaitingCommands, issuedInOutage.Count(n => answers[n].Count == 0))),
                $"{context} step {step}: MaxWaitingCommands counts the unanswered SENDs held when issued, and no more than those added while no node answered");
            Assert.That(answers.Where(a => a.Value.Any(TooManyWaiting) && !issuedInOutage.Contains(a.Key)).Select(a => a.Key), Is.Empty,
                $"{context} step {step}: a SEND issued while a node answered (journaled, re-sent by the cluster) was refused as one too many waiting");
            if (stats is not null && backoff.WaitingCommands > 0)
            {
                Count(stats, "steps with counted waiting SENDs");
            }
        }

        // Let every backoff and put-off answer run, then end.
        for (var i = 0; i < 20; i++)
        {
            nodes.Clock.Advance(1);
            Drain(cluster);
        }

        disposed = true;
        var unanswered = answers.Where(a => a.Value.Count == 0).Select(a => a.Key).ToList();
        Drain(() => cluster.Dispose());
        Drain(cluster);

        Assert.That(answers.Where(a => a.Value.Count != 1).Select(a => $"SEND {a.Key}: {a.Value.Count}"), Is.Empty, $"{context}: callbacks not called exactly once (unanswered before Dispose: {unanswered.Count})");
        Assert.That(cluster.JournalCount, Is.Zero, $"{context}: the journal empty after Dispose");
        Assert.That(cluster.Backoff!.WaitingCommands, Is.Zero, $"{context}: nothing counted as waiting after Dispose");

        // Nothing runs after Dispose, whatever the nodes still report.
        foreach (var leftover in nodes.Nodes.SelectMany(n => n.Commands).ToList())
        {
            Drain(() => leftover.Callback?.Invoke(new Frame("RECEIPT"), null));
            if (leftover.Params.OnMessage is { } late)
            {
                Drain(() => late(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "late"), (SendJournalOptions.IdHeader, "late")), "x")));
            }
        }

        nodes.Clock.Advance(10);
        Drain(cluster);
        Assert.That(afterDispose, Is.Zero, $"{context}: a callback ran after Dispose");
        Assert.That(answers.Values.All(a => a.Count == 1), Is.True, $"{context}: a callback ran again after Dispose");

        foreach (var answer in answers.Values.Select(a => a.Single()))
        {
            var key = answer is null ? "ok" : $"{answer.Code} doubt={answer.MayHaveBeenDelivered} {answer.Message[..Math.Min(40, answer.Message.Length)]}";
            Count(stats, key);
            Assert.That(answer is { Code: E_RECEIPT_TIMEDOUT, MayHaveBeenDelivered: false }, Is.False, $"{context}: a SEND timed out waiting for its RECEIPT must be in doubt ({answer?.Message})");
        }

        Assert.That(application.Count + cluster.DuplicatesDropped, Is.EqualTo(deliveries), $"{context}: every delivery reached the application or was counted as dropped");
    }

    private static bool TooManyWaiting(StompError? error) => error?.Message.EndsWith("(ReconnectPolicy.MaxWaitingCommands)", StringComparison.Ordinal) == true;

    /// <summary>The node fails as a real client reports it: each command it held was written or not; a written SEND may have reached the broker.</summary>
    private static void Fail(MockNodes.Node node, Random random, HashSet<string> written, List<string> delivered, StompError error)
    {
        var pending = node.Commands.ToList();
        node.Commands.Clear();
        var flags = pending.Select(_ => random.Next(2) == 0).ToList();
        for (var i = 0; i < pending.Count; i++)
        {
            if (flags[i] && pending[i].Name == "SEND" && pending[i].Params[SendJournalOptions.IdHeader] is { } id)
            {
                written.Add(id);
                if (random.Next(2) == 0)
                {
                    delivered.Add(id);
                }
            }
        }

        Drain(() => node.Options.OnError!(error));
        for (var i = 0; i < pending.Count; i++)
        {
            var (name, parameters, callback) = pending[i];
            var lost = name == "SUBSCRIBED";
            var text = lost ? $"Subscription \"{parameters["id"]}\" lost: {error.Message}" : $"Operation \"{name}\" aborted: {error.Message}";
            Drain(() => callback?.Invoke(null, new StompError(text, error.Code) { MayHaveBeenDelivered = flags[i] || (error.Code == E_RECEIPT_TIMEDOUT && name == "SEND") }));
        }

        Drain(() => node.Options.OnDisconnect!());
    }

    /// <summary>Runs what the loop holds now, a throwing user callback included, as the loop would go on after it.</summary>
    private static void Drain(StomperCluster cluster)
    {
        for (var i = 0; i < 50; i++)
        {
            Drain(() => cluster.Loop.RunOnce(block: false));
        }
    }

    private static void Drain(Action action)
    {
        try
        {
            action();
        }
        catch (UserCallbackException)
        {
        }
    }

    private static void Count(Dictionary<string, int>? stats, string key)
    {
        if (stats is not null)
        {
            stats[key] = stats.GetValueOrDefault(key) + 1;
        }
    }

    private static Action<Frame>? Subscription(MockNodes.Node node) =>
        node.Commands.LastOrDefault(c => c.Name is "SUBSCRIBE" or "SUBSCRIBED").Params?.OnMessage;
}
