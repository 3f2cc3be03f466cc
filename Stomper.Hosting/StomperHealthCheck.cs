using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Stomper.Async;

namespace Stomper.Hosting;

/// <summary>
/// The health of one client, from its nodes (<see cref="AsyncStomperClient.GetNodeStatusAsync"/>):
/// <b>Healthy</b> when every node is up, <b>Degraded</b> when some are not, or a connected
/// node's heart-beats are late, <b>Unhealthy</b> (the registration's failure status) when
/// none is. A node is up when its session is up with fresh heart-beats, or, having no
/// session (a cluster's idle nodes, a client between connections), when it accepts a TCP
/// connection within <see cref="StomperServiceOptions.HealthProbeTimeout"/>.
/// </summary>
/// <remarks>
/// Heart-beats are late once the node has been silent for two of its beat intervals
/// (two thirds of the read timeout that would end the session); a pause of reading that
/// the client chose (a full subscription buffer) is not lateness. The result's data holds
/// one entry per node, <c>host:port</c>, saying what was seen.
/// </remarks>
public sealed class StomperHealthCheck : IHealthCheck
{
    private readonly AsyncStomperClient _client;
    private readonly TimeSpan _probeTimeout;

    /// <summary>A check of <paramref name="client"/>, probing its unconnected nodes for at most <paramref name="probeTimeout"/> each.</summary>
    public StomperHealthCheck(AsyncStomperClient client, TimeSpan probeTimeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(probeTimeout, TimeSpan.Zero);
        (_client, _probeTimeout) = (client, probeTimeout);
    }

    internal enum NodeHealth
    {
        Up,
        Late,
        Down,
    }

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<StompNodeStatus> nodes;
        try
        {
            nodes = await _client.GetNodeStatusAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The Stomper client is closed");
        }

        var verdicts = await Task.WhenAll(nodes.Select(async node => Judge(
            node,
            node.IsConnected ? null : await NodeProbe.TryConnectAsync(node.Host, node.Port, _probeTimeout, cancellationToken).ConfigureAwait(false)))).ConfigureAwait(false);
        return Summarize(nodes, verdicts, context.Registration.FailureStatus);
    }

    /// <summary>One node's health: <paramref name="probeFailure"/> is the TCP probe's answer for a node without a session (null: it accepted).</summary>
    internal static (NodeHealth Health, string Seen) Judge(StompNodeStatus node, string? probeFailure)
    {
        if (!node.IsConnected)
        {
            return probeFailure is null ? (NodeHealth.Up, "not connected; accepts connections") : (NodeHealth.Down, "unreachable: " + probeFailure);
        }

        if (node.ReadTimeout > TimeSpan.Zero && !node.IsReadingPaused && node.Silence is { } silence && silence > node.ReadTimeout * 2 / 3)
        {
            return (NodeHealth.Late, string.Create(CultureInfo.InvariantCulture, $"connected; heart-beats late: silent for {silence.TotalSeconds:0.###} s of {node.ReadTimeout.TotalSeconds:0.###} s allowed"));
        }

        return (NodeHealth.Up, node.IsActive ? "connected, active" : "connected");
    }

    internal static HealthCheckResult Summarize(IReadOnlyList<StompNodeStatus> nodes, IReadOnlyList<(NodeHealth Health, string Seen)> verdicts, HealthStatus failureStatus)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            data[$"{nodes[i].Host}:{nodes[i].Port.ToString(CultureInfo.InvariantCulture)}"] = verdicts[i].Seen;
        }

        var up = verdicts.Count(v => v.Health == NodeHealth.Up);
        var alive = verdicts.Count(v => v.Health != NodeHealth.Down);
        var notUp = string.Join("; ", Enumerable.Range(0, nodes.Count)
            .Where(i => verdicts[i].Health != NodeHealth.Up)
            .Select(i => $"{nodes[i].Host}:{nodes[i].Port.ToString(CultureInfo.InvariantCulture)} {verdicts[i].Seen}"));
        var count = nodes.Count.ToString(CultureInfo.InvariantCulture);
        if (up == nodes.Count)
        {
            return HealthCheckResult.Healthy($"{count} of {count} nodes up", data);
        }

        return alive == 0
            ? new HealthCheckResult(failureStatus, $"no node reachable: {notUp}", data: data)
            : HealthCheckResult.Degraded($"{up.ToString(CultureInfo.InvariantCulture)} of {count} nodes up: {notUp}", data: data);
    }
}
