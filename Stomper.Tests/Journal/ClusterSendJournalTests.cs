using NUnit.Framework;
using Stomper.Cluster;
using Stomper.Tests.Cluster;
using static Stomper.ErrorCode;

namespace Stomper.Tests.Journal;

/// <summary>The cluster's send journal (issue 14, item 4) over mocked node clients on a hand-stepped loop.</summary>
[TestFixture]
public sealed class ClusterSendJournalTests
{
    private static readonly StompError Reset = new("Connection reset by peer", E_IO);

    [Test]
    public void A_journaled_SEND_carries_a_receipt_and_an_id_and_a_callback_that_asked_for_no_receipt_gets_no_frame()
    {
        var nodes = Journaled(3);
        var answers = new List<string>();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", Body = "x" }, (r, e) => answers.Add($"{r?.Command ?? "null"} {e?.Message ?? "ok"}"));

        var sent = nodes.Active.Commands.Single().Params;
        Assert.That(sent["receipt"], Is.Not.Null);
        Assert.That(sent[SendJournalOptions.IdHeader], Is.EqualTo(sent["receipt"]));
        Assert.That(nodes.Cluster.JournalCount, Is.EqualTo(1));
        Assert.That(nodes.Cluster.JournalBytes, Is.EqualTo(1));

        nodes.Active.Receipt(0);

        Assert.That(answers, Is.EqualTo(new[] { "null ok" }));
        Assert.That(nodes.Cluster.JournalCount, Is.Zero);
        Assert.That(nodes.Cluster.JournalBytes, Is.Zero);
    }

    [Test]
    public void A_SEND_with_its_own_receipt_and_id_keeps_them_and_gets_its_RECEIPT_frame()
    {
        var nodes = Journaled(2);
        Frame? heard = null;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a", ["receipt"] = "mine", [SendJournalOptions.IdHeader] = "order-17" }, (r, _) => heard = r);

        var sent = nodes.Active.Commands.Single().Params;
        Assert.That((sent["receipt"], sent[SendJournalOptions.IdHeader]), Is.EqualTo(("mine", "order-17")));
        nodes.Active.Receipt(0);
        Assert.That(heard?.Command, Is.EqualTo("RECEIPT"));
    }

    [Test]
    public void Every_journaled_SEND_gets_an_id_of_its_own()
    {
        var nodes = Journaled(1);
        for (var i = 0; i < 50; i++)
        {
            nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        }

        Assert.That(nodes.Active.Commands.Select(c => c.Params[SendJournalOptions.IdHeader]).Distinct().Count(), Is.EqualTo(50));
    }

    [Test]
    public void Without_a_journal_a_SEND_is_sent_as_the_original_sends_it()
    {
        var nodes = new MockNodes(2);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });

        var sent = nodes.Active.Commands.Single().Params;
        Assert.That((sent["receipt"], sent[SendJournalOptions.IdHeader]), Is.EqualTo(((string?)null, (string?)null)));
    }

    [Test]
    public void Unreceipted_SENDs_run_again_on_the_next_node_in_their_order_after_the_subscription_is_made_again()
    {
        var nodes = Journaled(3);
        var trace = new List<string>();
        nodes.Cluster.Subscribe(new() { ["id"] = "s1", ["destination"] = "/queue/a", OnReceipt = (_, e) => trace.Add("sub " + (e?.Message ?? "ok")) }, _ => { });
        var first = nodes.Active;
        first.Receipt(0);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b", Body = "1" }, (_, e) => trace.Add("send1 " + (e?.Message ?? "ok")));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b", Body = "2" }, (_, e) => trace.Add("send2 " + (e?.Message ?? "ok")));
        nodes.Cluster.Send(new() { ["destination"] = "/queue/b", Body = "3" }, (_, e) => trace.Add("send3 " + (e?.Message ?? "ok")));
        first.Receipt(1);
        var ids = first.Commands.Skip(2).Select(c => c.Params[SendJournalOptions.IdHeader]).ToList();

        first.Break(Reset, lost: [0], aborted: [2, 3]);

        var next = nodes.Active;
        Assert.That(next, Is.Not.SameAs(first));
        Assert.That(next.Commands.Select(c => $"{c.Name} {c.Params.Body}"), Is.EqualTo(new[] { "SUBSCRIBE ", "SEND 2", "SEND 3" }));
        Assert.That(next.Commands.Skip(1).Select(c => c.Params[SendJournalOptions.IdHeader]), Is.EqualTo(ids), "the same ids, so that a consumer can drop the repeats");
        Assert.That(nodes.Cluster.JournalCount, Is.EqualTo(2));

        next.Receipt(0);
        next.Receipt(1);
        next.Receipt(2);
        Assert.That(trace, Is.EqualTo(new[] { "sub ok", "send1 ok", "sub ok", "send2 ok", "send3 ok" }));
        Assert.That(nodes.Cluster.JournalCount, Is.Zero);
    }

    [Test]
    public void A_SEND_that_failed_on_every_node_is_answered_once_and_in_doubt_if_any_attempt_may_have_been_delivered()
    {
        var nodes = Journaled(2);
        var answers = new List<StompError?>();
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, e) => answers.Add(e));

        AbortEach(nodes.Active, Reset, written: true);
        AbortEach(nodes.Active, new StompError("Can't connect to node1:61613: Connection refused", E_CANT_CONN), written: false);

        Assert.That(answers, Has.Count.EqualTo(1));
        Assert.That(answers[0]!.Code, Is.EqualTo(E_CANT_CONN), "the last attempt's error");
        Assert.That(answers[0]!.MayHaveBeenDelivered, Is.True, "the first attempt's frame reached a connection");
        Assert.That(nodes.Cluster.JournalCount, Is.Zero);
    }

    [Test]
    public void A_SEND_no_attempt_of_which_was_written_certainly_was_not_delivered()
    {
        var nodes = Journaled(2);
        StompError? answer = null;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, e) => answer = e);

        AbortEach(nodes.Active, new StompError("Can't connect to node:1: Connection refused", E_CANT_CONN), written: false);
        AbortEach(nodes.Active, new StompError("Can't connect to node:2: Connection refused", E_CANT_CONN), written: false);

        Assert.That(answer?.MayHaveBeenDelivered, Is.False);
    }

    [Test]
    public void A_SEND_the_broker_refused_with_an_ERROR_certainly_was_not_delivered()
    {
        var nodes = Journaled(2);
        StompError? answer = null;
        nodes.Cluster.Send(new() { ["destination"] = "/nowhere" }, (_, e) => answer = e);

        nodes.Active.Commands[0].Callback!(null, new StompError("not_found", E_OPRN_ERROR, new Frame("ERROR")));

        Assert.That((answer?.Code, answer?.MayHaveBeenDelivered), Is.EqualTo(((ErrorCode?)E_OPRN_ERROR, (bool?)false)));
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(1), "not sent again: the broker answered it");
    }

    [Test]
    public void A_full_journal_by_count_refuses_a_SEND_after_the_call_certainly_undelivered_and_takes_one_again_once_a_RECEIPT_frees_room()
    {
        var nodes = Journaled(1, new SendJournalOptions { MaxCount = 2 });
        var loop = nodes.Cluster.Loop;
        StompError? refused = null;
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" }, (_, e) => refused = e);

        Assert.That(refused, Is.Null, "never inside the call");
        loop.RunOnce(block: false);
        Assert.That(refused?.Code, Is.EqualTo(E_SEND_JOURNAL_FULL));
        Assert.That(refused!.Message, Does.StartWith("Operation \"SEND\" refused: the send journal is full (2 of 2 SENDs"));
        Assert.That(refused.MayHaveBeenDelivered, Is.False);
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(2), "the refused SEND went nowhere");

        nodes.Active.Receipt(0);
        nodes.Cluster.Send(new() { ["destination"] = "/queue/a" });
        Assert.That(nodes.Active.Commands, Has.Count.EqualTo(3));
        Assert.That(nodes.Cluster.JournalCount, Is.EqualTo(2));
    }

    [Test]
    public void A_full_journal_by_bytes_refuses_a_SEND_whose_body_does_not_fit_and_a_body_larger_than_the_journal()
    {
        var nodes = Journaled(1, new SendJournalOptions { MaxBytes = 10 });
        var answers = new List<string>();
        nodes.Cluster.Send(new() { ["destination"] = "/q", Body = "123456" }, (_, e) => answers.Add("a " + (e?.Code.ToString() ?? "ok")));
        nodes.Cluster.Send(new() { ["destination"] = "/q", Body = "12345" }, (_, e) => answers.Add("b " + (e?.Code.ToString() ?? "ok")));
        nodes.Cluster.Send(new() { ["destination"] = "/q", Body = "1234" }, (_, e) => answers.Add("c " + (e?.Code.ToString() ?? "ok")));
        nodes.Cluster.Send(new() { ["destination"] = "/q", Body = new string('x', 11) }, (_, e) => answers.Add("d " + (e?.Code.ToString() ?? "ok")));
        nodes.Cluster.Loop.RunOnce(block: false);
        nodes.Active.Receipt(0);
        nodes.Active.Receipt(1);

        Assert.That(answers, Is.EqualTo(new[] { "b E_SEND_JOURNAL_FULL", "d E_SEND_JOURNAL_FULL", "a ok", "c ok" }));
        Assert.That(nodes.Cluster.JournalBytes, Is.Zero);
        Assert.That(nodes.Cluster.JournalHasRoomFor(new() { Body = new string('x', 11) }), Is.True, "a body that never fits is refused, not waited for");
    }

    [Test]
    public void A_refused_SEND_without_a_callback_goes_to_on_error_and_a_Dispose_before_the_refusal_answers_it_once()
    {
        var nodes = Journaled(1, new SendJournalOptions { MaxCount = 1 });
        nodes.Cluster.Send(new() { ["destination"] = "/q" });
        nodes.Cluster.Send(new() { ["destination"] = "/q" });
        nodes.Cluster.Loop.RunOnce(block: false);
        Assert.That(nodes.Trace.Last(), Does.StartWith("on_error: Operation \"SEND\" refused: the send journal is full"));

        var answers = new List<string>();
        nodes.Cluster.Send(new() { ["destination"] = "/q" }, (_, e) => answers.Add(e!.Message));
        nodes.Cluster.Dispose();
        nodes.Cluster.Loop.RunOnce(block: false);

        Assert.That(answers, Is.EqualTo(new[] { "Operation \"SEND\" aborted: Client object destroyed prematurely." }));
    }

    [TestCase(0, 1)]
    [TestCase(1, 0)]
    [TestCase(-1, 1)]
    public void Journal_bounds_below_one_are_refused_by_the_constructor(int count, long bytes)
    {
        var name = count < 1 ? "SendJournal.MaxCount" : "SendJournal.MaxBytes";
        Assert.That(() => new MockNodes(1, configure: o => Configure(o, new SendJournalOptions { MaxCount = count, MaxBytes = bytes })),
            Throws.ArgumentException.With.Message.EqualTo($"\"{name}\" must be a positive integer"));
    }

    [Test]
    public void Dispose_answers_every_journaled_SEND_once_in_doubt_when_its_node_had_written_it()
    {
        var nodes = Journaled(2);
        var answers = new List<StompError?>();
        nodes.Cluster.Send(new() { ["destination"] = "/q" }, (_, e) => answers.Add(e));
        AbortEach(nodes.Active, Reset, written: true);

        nodes.Cluster.Dispose();

        Assert.That(answers, Has.Count.EqualTo(1));
        Assert.That((answers[0]!.Code, answers[0]!.MayHaveBeenDelivered), Is.EqualTo((E_CONN_CLOSED_BY_CLIENT, true)));
    }

    internal static MockNodes Journaled(int count, SendJournalOptions? journal = null, int seed = 1, ReconnectPolicy? policy = null) =>
        new(count, seed, o => Configure(o, journal ?? new SendJournalOptions(), policy));

    /// <summary>The node fails as a real client reports it, aborting each command it holds, written to the socket or not.</summary>
    internal static void AbortEach(MockNodes.Node node, StompError error, bool written)
    {
        node.Options.OnError!(error);
        var pending = node.Commands.ToList();
        node.Commands.Clear();
        foreach (var (name, _, callback) in pending)
        {
            callback?.Invoke(null, new StompError($"Operation \"{name}\" aborted: {error.Message}", error.Code) { MayHaveBeenDelivered = written });
        }

        node.Options.OnDisconnect!();
    }

    private static ClusterOptions Configure(ClusterOptions mock, SendJournalOptions journal, ReconnectPolicy? policy = null) =>
        mock.MockNodesWith(new() { OnNodeError = mock.OnNodeError, OnError = mock.OnError, SendJournal = journal, ReconnectPolicy = policy });
}
