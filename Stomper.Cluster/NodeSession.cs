namespace Stomper.Cluster;

/// <summary>
/// One connection of a node, from the report that ended the previous one to the report
/// that ends it. A MESSAGE is stamped with the session that delivered it, because the
/// broker forgets unacknowledged messages of a closed connection (it redelivers them):
/// an ACK is worth sending only while that session lasts.
/// </summary>
internal sealed class NodeSession(NodeState node)
{
    public NodeState Node { get; } = node;

    public bool IsCurrent => ReferenceEquals(Node.Session, this);
}
