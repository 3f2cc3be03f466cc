using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>
/// The cluster's failover over the nodes' TLS listeners (61623-61625): every node's
/// certificate checked against the local CA and the node's own address.
/// </summary>
[TestFixture]
public sealed class TlsClusterBrokerTests : ClusterFailoverTests
{
    /// <inheritdoc/>
    protected override IReadOnlyList<Endpoint> Nodes => Brokers.RabbitTlsNodes;

    /// <inheritdoc/>
    protected override HandleParams HandleParams => Brokers.Tls();
}
