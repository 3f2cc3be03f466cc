using NUnit.Framework;
using Stomper.Chaos;
using Stomper.Cluster;

namespace Stomper.Tests.Integration;

/// <summary>
/// The short version of make chaos inside make test: one kill -9 of the active node
/// mid-stream and one close of all its connections, on the real RabbitMQ cluster, with the
/// figures checked against what the mode promises.
/// </summary>
public sealed class ChaosShortTests : BrokerFixture
{
    [Test]
    public void In_the_original_mode_a_kill_and_a_close_of_every_connection_lose_no_receipted_message_answer_every_SEND_once_and_the_consumer_comes_back()
    {
        var figures = RunShort(ChaosMode.Original);

        Assert.That(figures.SelectMany(Targets.Invariants), Is.Empty);
        Assert.That(figures.Select(f => f.Receipted), Has.All.GreaterThan(0));
    }

    [Test]
    public void In_the_reliable_mode_a_kill_and_a_close_of_every_connection_meet_every_target_of_issue_14()
    {
        var figures = RunShort(ChaosMode.Reliable);

        Assert.That(figures.SelectMany(f => f.Missed), Is.Empty);
        Assert.That(figures.Select(f => f.Duplicates), Has.All.Zero, "no duplicate reached the application");
    }

    /// <summary>Runs the short scenarios; each must have run, and the stream and the subscription must have come back after each fault.</summary>
    private static List<Figures> RunShort(ChaosMode mode)
    {
        var (figures, failures) = ChaosRun.Run(Settings(), [mode], ChaosRun.Short(), TestContext.Out);
        Report.Table(figures, TestContext.Out);
        Assert.That(failures, Is.Empty);
        Assert.That(figures, Has.Count.EqualTo(2));
        Assert.That(figures.SelectMany(f => f.Failovers.Concat(f.SubscriptionBack)), Has.None.NaN, "the stream and the subscription came back after each fault");
        return figures;
    }

    private static ChaosSettings Settings() => new()
    {
        Nodes = [.. Brokers.RabbitNodes.Select(n => new ClusterNode(n.Host, n.Port))],
        RepositoryRoot = Brokers.RepositoryRoot,
        Login = Brokers.Login,
        Passcode = Brokers.Passcode,
        Seed = TestContext.CurrentContext.Random.Next(1 << 20),
    };
}
