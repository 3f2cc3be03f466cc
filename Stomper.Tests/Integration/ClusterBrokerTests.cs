using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>The cluster's failover over the nodes' plain STOMP listeners.</summary>
[TestFixture]
public sealed class ClusterBrokerTests : ClusterFailoverTests
{
    /// <inheritdoc/>
    protected override IReadOnlyList<Endpoint> Nodes => Brokers.RabbitNodes;
}
