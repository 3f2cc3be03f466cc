namespace Stomper;

/// <summary>
/// The messages of one <c>client</c> or <c>client-individual</c> subscription that
/// await acknowledgement, in delivery order. In <c>client</c> mode settling one message
/// settles every earlier one, as the specification says.
/// </summary>
internal sealed class PendingAcks
{
    private readonly Dictionary<string, long> _sequenceOf = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Sequence)> _order = new();
    private long _next;

    public PendingAcks(bool cumulative)
    {
        Cumulative = cumulative;
    }

    public bool Cumulative { get; }

    public int Count => _sequenceOf.Count;

    public void Add(string key)
    {
        var sequence = _next++;
        _sequenceOf[key] = sequence;
        if (Cumulative)
        {
            _order.Enqueue((key, sequence));
        }
    }

    /// <summary>Settles the message (and, in client mode, every earlier one); false when it was not pending.</summary>
    public bool Settle(string key)
    {
        if (!_sequenceOf.Remove(key, out var sequence))
        {
            return false;
        }

        if (Cumulative)
        {
            while (_order.TryPeek(out var head) && head.Sequence <= sequence)
            {
                _order.Dequeue();

                // An entry settled earlier on its own is already gone from the map, or
                // was re-delivered under a newer sequence: remove only this delivery.
                if (_sequenceOf.TryGetValue(head.Key, out var current) && current == head.Sequence)
                {
                    _sequenceOf.Remove(head.Key);
                }
            }
        }

        return true;
    }
}
