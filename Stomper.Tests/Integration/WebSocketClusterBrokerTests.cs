using NUnit.Framework;
using Stomper.Cluster;

namespace Stomper.Tests.Integration;

/// <summary>
/// The cluster's failover over the nodes' Web-STOMP listeners (ws://127.0.0.1:15674-15676/ws):
/// the same kills, pauses and closed connections as over TCP, every node a WebSocket.
/// </summary>
[TestFixture]
public sealed class WebSocketClusterBrokerTests : ClusterFailoverTests
{
    /// <inheritdoc/>
    protected override IReadOnlyList<Endpoint> Nodes => Brokers.RabbitWebSocketNodes;

    /// <inheritdoc/>
    protected override ClusterNode Node(Endpoint endpoint) => new(Brokers.WebSocketUrl(endpoint));
}
