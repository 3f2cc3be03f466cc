namespace Stomper.Cluster;

/// <summary>
/// The cluster's nodes in the order given, one per distinct host:port, and which one is
/// active. Failing over moves to the next, wrapping round.
/// </summary>
internal sealed class NodeRing
{
    private readonly NodeState[] _nodes;

    public NodeRing(NodeState[] nodes, int first)
    {
        _nodes = nodes;
        ActiveIndex = first;
    }

    public int Count => _nodes.Length;

    public int ActiveIndex { get; private set; }

    public NodeState Active => _nodes[ActiveIndex];

    public IReadOnlyList<NodeState> All => _nodes;

    /// <summary>The nodes starting with the active one: the order in which closing them lets a command issued meanwhile reach an already closed, reconnecting node.</summary>
    public IEnumerable<NodeState> FromActive()
    {
        var first = ActiveIndex;
        for (var i = 0; i < _nodes.Length; i++)
        {
            yield return _nodes[(first + i) % _nodes.Length];
        }
    }

    /// <summary>Moves on from <paramref name="failed"/> if it is still the active node; a late error of a node already left behind changes nothing.</summary>
    /// <returns>Whether the active node changed: the failure counts as an attempt.</returns>
    public bool FailOver(NodeState failed)
    {
        if (!ReferenceEquals(_nodes[ActiveIndex], failed))
        {
            return false;
        }

        ActiveIndex = (ActiveIndex + 1) % _nodes.Length;
        return true;
    }
}
