namespace Stomper.Cluster;

/// <summary>One node of the cluster: its address, its client, and the session it is in now.</summary>
internal sealed class NodeState
{
    public NodeState(ClusterNode address)
    {
        Address = address;
        Session = new NodeSession(this);
    }

    public ClusterNode Address { get; }

    /// <summary>Set once, right after the client is made: the client's callbacks need this object before it exists.</summary>
    public IStomperClient Client { get; set; } = null!;

    /// <summary>The connection that commands sent now belong to, and that messages arriving now come from.</summary>
    public NodeSession Session { get; private set; }

    /// <summary>Called when the node reports the end of a connection (an error, or a disconnect).</summary>
    public void EndSession() => Session = new NodeSession(this);
}
