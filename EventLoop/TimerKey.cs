namespace EventLoop;

/// <summary>Orders timers by deadline, and timers due at the same moment by when they were armed.</summary>
internal readonly record struct TimerKey(double Due, long Sequence) : IComparable<TimerKey>
{
    public int CompareTo(TimerKey other)
    {
        var byDue = Due.CompareTo(other.Due);
        return byDue != 0 ? byDue : Sequence.CompareTo(other.Sequence);
    }
}
