using System.Text.RegularExpressions;

namespace Stomper.Tests.Integration;

/// <summary>
/// Whether this test run brings the brokers up, and so takes them down at its end: the rule
/// of <c>make test</c>, which stops them after the run unless all four already ran before it.
/// </summary>
internal static partial class BrokerOwnership
{
    /// <summary>The brokers <c>scripts/brokers.sh start</c> runs, as its <c>status</c> names them.</summary>
    public static IReadOnlyList<string> Nodes { get; } = ["rabbit1", "rabbit2", "rabbit3", "activemq"];

    /// <summary>
    /// True when <paramref name="statusBefore"/> (<c>scripts/brokers.sh status</c> before the
    /// run's <c>start</c>) shows a broker down or paused: the start brings it up, so the run
    /// owns the brokers. Null (the status could not be read) is false: when in doubt the
    /// brokers are someone else's, and left running.
    /// </summary>
    public static bool StartsThem(string? statusBefore) =>
        statusBefore is not null && Nodes.Any(node => !IsRunning(statusBefore, node));

    private static bool IsRunning(string status, string node) =>
        StatusLine().Matches(status).Any(line => line.Groups["node"].Value == node && line.Groups["state"].Value == "running");

    // "rabbit1   running  pid 1234  stomp 127.0.0.1:61613 CONNECTED ...": node, state, pid.
    [GeneratedRegex(@"^(?<node>\S+)\s+(?<state>\S+)\s+pid\s", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
