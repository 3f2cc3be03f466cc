using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>
/// A seeded model of the send journal and the deduplication window: random SENDs, RECEIPTs,
/// ERRORs, node failures (each command written or not), deliveries and redeliveries over
/// mocked nodes, with the invariants checked after every step.
/// </summary>
[TestFixture]
public sealed class JournalModelTests
{
    private const int MaxCount = 8;
    private const long MaxBytes = 40;

    [Test]
    public void Random_runs_keep_every_invariant([Range(1, 40)] int seed)
    {
        var random = new Random(seed);
        var nodes = ClusterSendJournalTests.Journaled(3, new SendJournalOptions { MaxCount = MaxCount, MaxBytes = MaxBytes }, seed);
        var cluster = nodes.Cluster;
        var answers = new Dictionary<int, List<StompError?>>();
        var idOf = new Dictionary<int, string>();
        var written = new HashSet<string>();
        var receipted = new HashSet<string>();
        var delivered = new List<string>();
        var application = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/q", ["ack"] = "client-individual", DeduplicationWindow = 10_000, OnReceipt = (_, _) => { } }, m => application.Add(m.Headers[SendJournalOptions.IdHeader] ?? "none"));
        var issued = 0;
        var deliveries = 0;

        for (var step = 0; step < 400; step++)
        {
            var node = nodes.Nodes[random.Next(nodes.Nodes.Count)];
            switch (random.Next(10))
            {
                case < 4:
                    var n = ++issued;
                    answers[n] = [];
                    cluster.Send(new() { ["destination"] = "/q", Body = new string('x', random.Next(0, 12)) }, (_, e) => answers[n].Add(e));
                    var last = nodes.Active.Commands.LastOrDefault();
                    if (last.Name == "SEND" && last.Params[SendJournalOptions.IdHeader] is { } id && !idOf.ContainsValue(id))
                    {
                        idOf[n] = id;
                    }

                    break;
                case < 6 when node.Pending("SEND") is { } index:
                    var sendId = node.Commands[index].Params[SendJournalOptions.IdHeader]!;
                    written.Add(sendId);
                    receipted.Add(sendId);
                    delivered.Add(sendId);
                    node.Answer(index);
                    break;
                case 6 when node.Pending("SEND") is { } refused:
                    node.Answer(refused, new StompError("refused", E_OPRN_ERROR, new Frame("ERROR")));
                    break;
                case 7 when node.Commands.Count > 0:
                    // The node dies: each frame it holds had reached the socket, or not; one
                    // that had may have been delivered, and the broker delivers it.
                    var flags = node.Commands.Select(_ => random.Next(2) == 0).ToList();
                    foreach (var (command, wasWritten) in node.Commands.Zip(flags))
                    {
                        if (wasWritten && command.Name == "SEND" && command.Params[SendJournalOptions.IdHeader] is { } lostId)
                        {
                            written.Add(lostId);
                            if (random.Next(2) == 0)
                            {
                                delivered.Add(lostId);
                            }
                        }
                    }

                    var error = new StompError("Connection reset by peer", E_IO);
                    node.Options.OnError!(error);
                    var pending = node.Commands.ToList();
                    node.Commands.Clear();
                    for (var i = 0; i < pending.Count; i++)
                    {
                        pending[i].Callback?.Invoke(null, new StompError($"Operation \"{pending[i].Name}\" aborted: {error.Message}", error.Code) { MayHaveBeenDelivered = flags[i] });
                    }

                    node.Options.OnDisconnect!();
                    break;
                case 8 when delivered.Count > 0 && Subscription(nodes) is { } onMessage:
                    // A delivery, or the broker's redelivery of one already delivered.
                    var message = delivered[random.Next(delivered.Count)];
                    deliveries++;
                    onMessage(new Frame("MESSAGE", new FrameHeaders(("subscription", "s1"), ("message-id", "m" + step), (SendJournalOptions.IdHeader, message)), "x"));
                    break;
                default:
                    cluster.Loop.RunOnce(block: false);
                    break;
            }

            Assert.That(cluster.JournalCount, Is.InRange(0, MaxCount), $"seed {seed} step {step}: journal count");
            Assert.That(cluster.JournalBytes, Is.InRange(0, MaxBytes), $"seed {seed} step {step}: journal bytes");
            Assert.That(answers.Values.All(a => a.Count <= 1), Is.True, $"seed {seed} step {step}: a callback called twice");
            Assert.That(application, Is.Unique, $"seed {seed} step {step}: a message delivered twice to the application");
        }

        cluster.Loop.RunOnce(block: false);
        cluster.Dispose();

        Assert.That(answers.Values.All(a => a.Count == 1), Is.True, $"seed {seed}: a callback never called");
        Assert.That(cluster.JournalCount, Is.Zero);
        foreach (var (n, id) in idOf)
        {
            var answer = answers[n].Single();
            if (answer is null)
            {
                Assert.That(receipted, Does.Contain(id), $"seed {seed}: SEND {n} succeeded without its RECEIPT");
            }
            else if (!answer.MayHaveBeenDelivered)
            {
                Assert.That(written, Does.Not.Contain(id), $"seed {seed}: SEND {n} said certainly undelivered ({answer.Message}) though a frame of it was written");
            }
        }

        Assert.That(receipted.IsSubsetOf(idOf.Values), Is.True);
        Assert.That(application.Count + cluster.DuplicatesDropped, Is.EqualTo(deliveries), $"seed {seed}: every delivery reached the application or was counted as dropped");
    }

    /// <summary>The message callback of the subscription's newest attempt, on whichever node holds it.</summary>
    private static Action<Frame>? Subscription(MockNodes nodes) =>
        nodes.Nodes.SelectMany(n => n.Commands).LastOrDefault(c => c.Name == "SUBSCRIBE").Params?.OnMessage;
}
