using EventLoop;
using NUnit.Framework;
using Stomper.Chaos;
using Stomper.Chaos.Scenarios;
using Stomper.Cluster;

namespace Stomper.Tests.Chaos;

/// <summary>
/// How make chaos counts: the ledger of SENDs, the figures drawn from it and from the node
/// reports, and the targets checked against them. No broker: the workload's cluster is lazy
/// and never connects; the tests write what a run would have seen.
/// </summary>
public sealed class ChaosFiguresTests
{
    private const int Victim = 61613;
    private const int Other = 61614;

    private Loop _loop = null!;
    private Workload _workload = null!;

    [SetUp]
    public void CreateWorkload()
    {
        _loop = new Loop(new FakeClock());
        var settings = new ChaosSettings
        {
            Nodes = [new ClusterNode("127.0.0.1", Victim), new ClusterNode("127.0.0.1", Other)],
            RepositoryRoot = ".",
        };
        _workload = new Workload(_loop, settings, ChaosMode.Original, "/amq/queue/unused");
    }

    [TearDown]
    public void DisposeWorkload()
    {
        _workload.Dispose();
        _loop.Dispose();
    }

    [Test]
    public void A_SEND_whose_callback_comes_twice_is_counted_once_and_reported_called_twice()
    {
        var id = _workload.Ledger.Issue();
        Assert.That(_workload.Ledger.Answered(id, null), Is.True);
        Assert.That(_workload.Ledger.Answered(id, Error(ErrorCode.E_CONN_CLOSED_BY_CLIENT)), Is.False);

        var figures = Count();

        Assert.That((figures.Receipted, figures.CalledTwice, figures.FailedByCode.Count), Is.EqualTo((1, 1, 0)));
        Assert.That(Targets.Invariants(figures), Has.One.Contains("called more than once"));
    }

    [Test]
    public void A_receipted_message_found_by_the_drain_is_left_in_the_queue_and_one_seen_nowhere_is_lost()
    {
        var drained = _workload.Ledger.Issue();
        var lost = _workload.Ledger.Issue();
        _workload.Ledger.Answered(drained, null);
        _workload.Ledger.Answered(lost, null);
        _workload.Ledger.Drained("0");

        var figures = Count();

        Assert.That((figures.LeftInQueue, figures.ReceiptedLost), Is.EqualTo((1, 1)));
        Assert.That(Targets.Invariants(figures), Has.One.EqualTo("1 receipted SENDs lost"));
    }

    [Test]
    public void A_failed_SEND_whose_message_arrived_all_the_same_counts_as_failed_but_arrived()
    {
        var id = _workload.Ledger.Issue();
        _workload.Ledger.Answered(id, Error(ErrorCode.E_IO));
        _workload.Ledger.Delivered("0");

        var figures = Count();

        Assert.That(figures.FailedByCode, Is.EquivalentTo(new Dictionary<ErrorCode, int> { [ErrorCode.E_IO] = 1 }));
        Assert.That((figures.FailedButArrived, figures.ReceiptedLost, figures.DistinctReceived), Is.EqualTo((1, 0, 1)));
    }

    [Test]
    public void Deliveries_beyond_the_first_are_duplicates_and_ids_never_issued_are_foreign()
    {
        var id = _workload.Ledger.Issue();
        _workload.Ledger.Answered(id, null);
        _workload.Ledger.Delivered("0");
        _workload.Ledger.Delivered("0");
        _workload.Ledger.Delivered("0");
        _workload.Ledger.Delivered("7");
        _workload.Ledger.Delivered("not an id");

        var figures = Count();

        Assert.That((figures.DistinctReceived, figures.Duplicates, figures.Foreign), Is.EqualTo((1, 2, 2)));
        Assert.That(_workload.Ledger.ReceiptedUnreceived, Is.Zero);
    }

    [Test]
    public void A_message_received_before_its_RECEIPT_is_not_waited_for_by_the_consumer()
    {
        var id = _workload.Ledger.Issue();
        _workload.Ledger.Delivered("0");
        _workload.Ledger.Answered(id, null);

        Assert.That(_workload.Ledger.ReceiptedUnreceived, Is.Zero);
    }

    [Test]
    public void A_SEND_never_answered_is_counted_and_waits_until_the_end_of_the_run()
    {
        _workload.Ledger.Issue();

        var figures = Count(neverCalled: _workload.Ledger.Unanswered, end: ChaosClock.Now + 30);

        Assert.That(figures.NeverCalled, Is.EqualTo(1));
        Assert.That(figures.MaxSendWait, Is.GreaterThanOrEqualTo(30));
    }

    [Test]
    public void A_kill_is_timed_from_the_victims_first_report_to_the_first_receipt_through_another_node()
    {
        var fault = new Fault("kill -9", Victim, 10, clientSeesAtOnce: true) { Ended = 10.5 };
        _workload.Events.Add(new NodeEvent(9.0, Victim, "error", null));
        _workload.Events.Add(new NodeEvent(10.2, Victim, "error", null));
        _workload.SendReceipts.Add(new SendReceipt(10.1, Victim, IssuedAt: 1));
        _workload.SendReceipts.Add(new SendReceipt(10.6, Other, IssuedAt: 1));
        _workload.SubscriptionReceipts.Add((9.5, null));
        _workload.SubscriptionReceipts.Add((10.4, Error(ErrorCode.E_IO)));
        _workload.SubscriptionReceipts.Add((10.7, null));

        var figures = Count(fault);

        Assert.That(figures.Failovers[0], Is.EqualTo(0.4).Within(1e-9));
        Assert.That(figures.SubscriptionBack[0], Is.EqualTo(0.5).Within(1e-9));
    }

    [Test]
    public void A_kill_the_client_reports_only_after_the_script_is_timed_from_the_scripts_end()
    {
        var fault = new Fault("kill -9", Victim, 10, clientSeesAtOnce: true) { Ended = 10.3 };
        _workload.Events.Add(new NodeEvent(11, Victim, "disconnect", null));
        _workload.SendReceipts.Add(new SendReceipt(11.3, Other, IssuedAt: 1));

        Assert.That(Count(fault).Failovers[0], Is.EqualTo(1.0).Within(1e-9));
    }

    [Test]
    public void A_RECEIPT_from_the_victim_before_its_first_report_does_not_count_though_its_SEND_followed_the_script()
    {
        // The kill script runs for a while before the signal lands: a SEND issued meanwhile
        // may still be answered by the victim.
        var fault = new Fault("kill -9", Victim, 10, clientSeesAtOnce: true) { Ended = 10.5 };
        _workload.Events.Add(new NodeEvent(10.3, Victim, "error", null));
        _workload.SendReceipts.Add(new SendReceipt(10.2, Victim, IssuedAt: 10.1));
        _workload.SendReceipts.Add(new SendReceipt(10.4, Victim, IssuedAt: 10.35));

        Assert.That(Count(fault).Failovers[0], Is.EqualTo(0.1).Within(1e-9));
    }

    [Test]
    public void A_paused_node_that_takes_the_stream_back_after_it_resumed_counts_only_with_SENDs_issued_since()
    {
        var fault = new Fault("SIGSTOP", Victim, 10, clientSeesAtOnce: false) { Ended = 10.1 };
        _workload.SendReceipts.Add(new SendReceipt(10.5, Victim, IssuedAt: 9.9));
        _workload.SendReceipts.Add(new SendReceipt(20.5, Victim, IssuedAt: 20.2));

        Assert.That(Count(fault).Failovers[0], Is.EqualTo(10.5).Within(1e-9));
    }

    [Test]
    public void A_pause_is_timed_from_the_start_of_the_script_not_from_the_heart_beats_finding_it()
    {
        var fault = new Fault("SIGSTOP", Victim, 10, clientSeesAtOnce: false) { Ended = 10.1 };
        _workload.Events.Add(new NodeEvent(13, Victim, "error", null));
        _workload.SendReceipts.Add(new SendReceipt(13.5, Other, IssuedAt: 1));

        Assert.That(Count(fault).Failovers[0], Is.EqualTo(3.5).Within(1e-9));
    }

    [Test]
    public void After_a_full_outage_the_failover_and_the_subscription_are_timed_from_the_first_node_back()
    {
        var fault = new Fault("kill -9 of every node", 0, 10, clientSeesAtOnce: true) { Ended = 10.2, NodeBack = 50 };
        _workload.SendReceipts.Add(new SendReceipt(51, Victim, IssuedAt: 1));
        _workload.SubscriptionReceipts.Add((52.5, null));

        var figures = Count(fault);

        Assert.That((figures.Failovers[0], figures.SubscriptionBack[0]), Is.EqualTo((1.0, 2.5)));
        Assert.That(Targets.Missed(figures, new FullOutage(), double.PositiveInfinity), Has.One.StartsWith("subscription not back within 2 s"));
    }

    [Test]
    public void A_stream_or_subscription_that_never_came_back_is_reported_as_none_and_misses_the_kill_target()
    {
        var fault = new Fault("kill -9", Victim, 10, clientSeesAtOnce: true) { Ended = 10.5 };

        var figures = Count(fault);

        Assert.That(double.IsNaN(figures.Failovers[0]) && double.IsNaN(figures.SubscriptionBack[0]), Is.True);
        Assert.That(Report.Seconds(figures.Failovers), Is.EqualTo("none"));
        Assert.That(Targets.Missed(figures, new KillActive(1), double.PositiveInfinity), Has.One.StartsWith("failover after kill -9 not under 1 s"));
    }

    [Test]
    public void A_kill_failover_under_a_second_meets_its_target()
    {
        var fault = new Fault("kill -9", Victim, 10, clientSeesAtOnce: true) { Ended = 10.5 };
        _workload.SendReceipts.Add(new SendReceipt(10.9, Other, IssuedAt: 1));

        Assert.That(Targets.Missed(Count(fault), new KillActive(1), double.PositiveInfinity), Is.Empty);
    }

    [Test]
    public void A_stall_is_the_longest_gap_without_an_answer_or_a_node_report_while_a_SEND_waits()
    {
        // Nothing waited between 1 and 5: the gap from 1 to 9 stalls from 5, for 4 s; the
        // longest is from the last report at 9.5 to the answer at 16.
        Answered(issuedAt: 0.5, answeredAt: 1);
        Answered(issuedAt: 5, answeredAt: 16);
        _workload.Events.Add(new NodeEvent(9, Victim, "error", null));
        _workload.Events.Add(new NodeEvent(9.5, Other, "connect", null));

        var figures = Count(end: 17);

        Assert.That(figures.LongestStall, Is.EqualTo(6.5).Within(1e-9));
        Assert.That(Targets.Missed(figures, new PauseActive(), stallBound: 6), Has.One.StartsWith("the stream stalled 6.5 s"));
        Assert.That(Targets.Missed(figures, new PauseActive(), stallBound: 7), Is.Empty);
    }

    [Test]
    public void Durations_read_as_one_figure_or_a_range_with_those_that_never_ended_counted()
    {
        Assert.That(Report.Seconds([0.25]), Is.EqualTo("0.25 s"));
        Assert.That(Report.Seconds([0.05, 0.6, double.NaN]), Is.EqualTo("0.05-0.60 s (1 of 3 never)"));
        Assert.That(Report.Seconds([]), Is.EqualTo("-"));
    }

    [Test]
    public void A_SEND_issued_inside_a_quiet_gap_stalls_from_its_issue()
    {
        Answered(issuedAt: 0.5, answeredAt: 1);
        Answered(issuedAt: 5, answeredAt: 9);

        Assert.That(Count(end: 9.1).LongestStall, Is.EqualTo(4).Within(1e-9));
    }

    private void Answered(double issuedAt, double answeredAt)
    {
        var entry = _workload.Ledger.Entries[_workload.Ledger.Issue()];
        entry.IssuedAt = issuedAt;
        entry.AnsweredAt = answeredAt;
        entry.Callbacks = 1;
        entry.Deliveries = 1;
    }

    private Figures Count(Fault? fault = null, int neverCalled = 0, double? end = null) =>
        Figures.Count(new KillActive(1), ChaosMode.Original, _workload, fault is null ? [] : [fault], neverCalled, end ?? ChaosClock.Now);

    private static StompError Error(ErrorCode code) => new("failed", code);
}
