namespace Stomper.Cluster;

/// <summary>
/// The cluster's node clients in the order given, one per distinct host:port, and which
/// one is active. Failing over moves to the next, wrapping round.
/// </summary>
internal sealed class NodeRing
{
    private readonly IStomperClient[] _nodes;

    public NodeRing(IStomperClient[] nodes, int first)
    {
        _nodes = nodes;
        ActiveIndex = first;
    }

    public int Count => _nodes.Length;

    public int ActiveIndex { get; private set; }

    public IStomperClient Active => _nodes[ActiveIndex];

    public IReadOnlyList<IStomperClient> All => _nodes;

    /// <summary>Moves on from <paramref name="failed"/> if it is still the active node; a late error of a node already left behind changes nothing.</summary>
    public void FailOver(IStomperClient failed)
    {
        if (ReferenceEquals(_nodes[ActiveIndex], failed))
        {
            ActiveIndex = (ActiveIndex + 1) % _nodes.Length;
        }
    }
}
