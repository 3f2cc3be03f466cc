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

    /// <summary>An error ended the session, and the on_disconnect of that connection has not come yet.</summary>
    private bool _endedByError;

    /// <summary>Called when the node's TCP connection is made.</summary>
    public void Connected() => _endedByError = false;

    /// <summary>Called when the node reports the end of a connection with an error: commands issued from here on go to the next connection.</summary>
    public void EndSession()
    {
        _endedByError = true;
        Session = new NodeSession(this);
    }

    /// <summary>
    /// Called on the node's on_disconnect. After an error, the error already ended the
    /// connection's session, and what was issued since (from the failure callbacks) belongs
    /// to the next connection, whose session must not end with this report.
    /// </summary>
    public void EndSessionUnlessEnded()
    {
        if (!_endedByError)
        {
            Session = new NodeSession(this);
        }

        _endedByError = false;
    }
}
