using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>The run's rule for stopping the brokers at its end, read from <c>scripts/brokers.sh status</c> (no broker needed).</summary>
[TestFixture]
public sealed class BrokerOwnershipTests
{
    private static string Status(string rabbit2 = "running", string activemq = "running") => string.Join('\n',
        Line("rabbit1", "running"),
        Line("rabbit2", rabbit2),
        Line("rabbit3", "running"),
        Line("activemq", activemq),
        "cluster (seen by rabbit1): b-rabbit1@localhost b-rabbit2@localhost b-rabbit3@localhost");

    // The script's own format: printf '%-9s %-8s pid %-8s stomp 127.0.0.1:%s %s%s\n'.
    private static string Line(string node, string state) =>
        $"{node,-9} {state,-8} pid {(state == "down" ? "-" : "4242"),-8} stomp 127.0.0.1:61613 {(state == "running" ? "CONNECTED" : "-")} tls 127.0.0.1:61623 -";

    [Test]
    public void Brokers_that_all_ran_before_the_run_are_someone_elses_and_stay_up() =>
        Assert.That(BrokerOwnership.StartsThem(Status()), Is.False);

    [Test]
    public void A_broker_down_before_the_run_means_the_run_starts_the_brokers_and_stops_them_at_its_end()
    {
        Assert.That(BrokerOwnership.StartsThem(Status(activemq: "down")), Is.True);
        Assert.That(BrokerOwnership.StartsThem(Status(rabbit2: "down")), Is.True);
    }

    [Test]
    public void A_paused_broker_counts_as_not_running_as_make_test_counts_it() =>
        Assert.That(BrokerOwnership.StartsThem(Status(rabbit2: "paused")), Is.True);

    [Test]
    public void No_broker_in_the_status_means_the_run_starts_them_all() =>
        Assert.That(BrokerOwnership.StartsThem(string.Join('\n', BrokerOwnership.Nodes.Select(node => Line(node, "down")))), Is.True);

    [Test]
    public void A_status_that_could_not_be_read_leaves_the_brokers_up() =>
        Assert.That(BrokerOwnership.StartsThem(null), Is.False);

    [Test]
    public void The_cluster_line_is_not_taken_for_a_broker() =>
        Assert.That(BrokerOwnership.StartsThem(Status().Replace("rabbit3   running", "rabbit3   down    ", StringComparison.Ordinal)), Is.True);
}
