using EventLoop;
using NUnit.Framework;
using Stomper.Async;
using Stomper.Cluster;
using Stomper.Testing;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>The send journal with real node clients over the scripted in-memory server, on a hand-stepped loop.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class JournalScriptedServerTests
{
    [Test]
    public void A_node_killed_with_SENDs_unreceipted_has_them_sent_on_the_next_node_after_the_SUBSCRIBE_each_answered_once()
    {
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Hold };
        var loop = new Loop(new FakeClock());
        using var cluster = TwoNodes(server, loop, new SendJournalOptions());
        var answers = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/in", ["ack"] = "client-individual" }, _ => { });
        for (var i = 1; i <= 3; i++)
        {
            var n = i;
            cluster.Send(new() { ["destination"] = "/queue/out", Body = $"m{n}" }, (r, e) => answers.Add($"m{n} {(e is null ? "ok" : e.Code + " " + e.MayHaveBeenDelivered)} {r is null}"));
        }

        StepUntil(loop, () => false, passes: 5);
        var first = server.Connection;
        Assert.That(first.ReceivedBy("SEND"), Has.Count.EqualTo(3));
        first.PushReceipt(first.ReceivedBy("SUBSCRIBE")[0].Headers["receipt"]!);
        StepUntil(loop, () => false, passes: 2);
        Assert.That(answers, Is.Empty, "the SENDs' RECEIPTs are still held; only the SUBSCRIBE's came");

        var sentIds = first.ReceivedBy("SEND").Select(f => f.Headers[SendJournalOptions.IdHeader]).ToList();
        first.Node!.Kill();
        StepUntil(loop, () => false, passes: 10);

        var second = server.Connection;
        Assert.That(second.Node, Is.Not.SameAs(first.Node));
        Assert.That(second.Received.Skip(1).Select(f => $"{f.Command} {f.Body}"), Is.EqualTo(new[] { "SUBSCRIBE ", "SEND m1", "SEND m2", "SEND m3" }));
        Assert.That(second.ReceivedBy("SEND").Select(f => f.Headers[SendJournalOptions.IdHeader]), Is.EqualTo(sentIds));

        second.ReleaseReceipts();
        StepUntil(loop, () => false, passes: 5);
        Assert.That(answers, Is.EqualTo(new[] { "m1 ok True", "m2 ok True", "m3 ok True" }));
        Assert.That(cluster.JournalCount, Is.Zero);
    }

    [Test]
    public void Dedup_drops_a_redelivery_after_a_lost_ACK_and_acknowledges_it()
    {
        var server = new ScriptedStompServer();
        var loop = new Loop(new FakeClock());
        using var cluster = TwoNodes(server, loop, journal: null);
        var bodies = new List<string>();
        cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/in", ["ack"] = "client-individual", DeduplicationWindow = 100 }, m => bodies.Add(m.Body));
        StepUntil(loop, () => false, passes: 5);
        var first = server.Connection;
        first.PushMessage("/queue/in", "once", (SendJournalOptions.IdHeader, "id-1"));
        StepUntil(loop, () => false, passes: 2);

        // The ACK never reached the broker: it redelivers on the next connection.
        first.Node!.Kill();
        StepUntil(loop, () => false, passes: 10);
        var second = server.Connection;
        second.PushMessage("/queue/in", "once", (SendJournalOptions.IdHeader, "id-1"), ("redelivered", "true"));
        StepUntil(loop, () => false, passes: 3);

        Assert.That(bodies, Is.EqualTo(new[] { "once" }));
        Assert.That(cluster.DuplicatesDropped, Is.EqualTo(1));
        Assert.That(second.ReceivedBy("ACK"), Has.Count.EqualTo(1), "the broker forgets the repeat");
    }

    [Test]
    public async Task The_async_face_waits_for_room_in_a_full_journal_instead_of_failing()
    {
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Hold };
        var loop = new Loop(new FakeClock());
        await using var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Cluster = new ClusterOptions { Nodes = [new("a", 1)], Loop = loop, Transport = server.Transport, SendJournal = new SendJournalOptions { MaxCount = 2 } },
        });

        var sends = Enumerable.Range(1, 3).Select(i => client.SendAsync("/queue/a", $"m{i}").AsTask()).ToList();
        StepUntil(loop, () => server.ReceivedBy("SEND").Count >= 2);
        StepUntil(loop, () => false, passes: 50);

        Assert.That(server.ReceivedBy("SEND"), Has.Count.EqualTo(2), "the third waits for room");
        Assert.That(sends.Any(s => s.IsCompleted), Is.False);

        server.ReleaseReceipts();
        StepUntil(loop, () => server.ReceivedBy("SEND").Count == 3);
        server.ReleaseReceipts();
        StepUntil(loop, () => sends.All(s => s.IsCompleted));

        await Task.WhenAll(sends);
        Assert.That(server.ReceivedBy("SEND").Select(f => f.Body), Is.EqualTo(new[] { "m1", "m2", "m3" }));
        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, () => closing.IsCompleted);
        await closing;
        loop.Dispose();
    }

    [Test]
    public async Task A_SEND_waiting_for_room_when_the_client_closes_fails_with_the_closing_error()
    {
        var server = new ScriptedStompServer { Receipts = ReceiptMode.Hold };
        var loop = new Loop(new FakeClock());
        var client = new AsyncStomperClient(new AsyncStomperOptions
        {
            Cluster = new ClusterOptions { Nodes = [new("a", 1)], Loop = loop, Transport = server.Transport, SendJournal = new SendJournalOptions { MaxCount = 1 } },
        });
        var first = client.SendAsync("/queue/a", "m1").AsTask();
        var waiting = client.SendAsync("/queue/a", "m2").AsTask();
        StepUntil(loop, () => server.ReceivedBy("SEND").Count >= 1);
        StepUntil(loop, () => false, passes: 20);

        var closing = client.DisposeAsync().AsTask();
        StepUntil(loop, () => closing.IsCompleted && waiting.IsCompleted && first.IsCompleted);

        var error = Assert.ThrowsAsync<StompException>(async () => await waiting);
        Assert.That(error!.Code, Is.EqualTo(E_CONN_CLOSED_BY_CLIENT));
        Assert.That(server.ReceivedBy("SEND"), Has.Count.EqualTo(1));
        Assert.ThrowsAsync<StompException>(async () => await first);
        loop.Dispose();
    }

    /// <summary>A cluster of nodes a:1 and b:2 on the scripted server, a first: node errors expected and not printed.</summary>
    private static StomperCluster TwoNodes(ScriptedStompServer server, Loop loop, SendJournalOptions? journal) => new(new ClusterOptions
    {
        Nodes = [new("a", 1), new("b", 2)],
        Loop = loop,
        Transport = server.Transport,
        Random = new Random(0),
        SendJournal = journal,
        OnNodeError = (_, _, _) => { },
    });

    private static void StepUntil(Loop loop, Func<bool> done, int passes = 10_000)
    {
        for (var i = 0; i < passes && !done(); i++)
        {
            loop.RunOnce(block: false);
            Thread.Yield();
        }
    }
}
