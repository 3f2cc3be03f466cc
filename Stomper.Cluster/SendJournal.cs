namespace Stomper.Cluster;

/// <summary>
/// What the cluster's journaled SENDs hold now, against the bounds. The entries themselves
/// are the cluster's pooled command objects, which already keep each SEND's parameters for
/// its next attempt: the journal adds two counters to them, and nothing per SEND.
/// </summary>
internal sealed class SendJournal(SendJournalOptions options)
{
    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public int MaxCount { get; } = options.MaxCount;

    public long MaxBytes { get; } = options.MaxBytes;

    /// <summary>
    /// Whether a SEND of <paramref name="bodyLength"/> bytes would be taken now. A body
    /// larger than the whole journal would never be: it is "taken", to be refused clearly
    /// rather than wait for ever.
    /// </summary>
    public bool HasRoomFor(int bodyLength) => bodyLength > MaxBytes || (Count < MaxCount && Bytes + bodyLength <= MaxBytes);

    public bool TryAdd(int bodyLength)
    {
        if (Count >= MaxCount || Bytes + bodyLength > MaxBytes)
        {
            return false;
        }

        Count++;
        Bytes += bodyLength;
        return true;
    }

    public void Remove(int bodyLength)
    {
        Count--;
        Bytes -= bodyLength;
    }
}
