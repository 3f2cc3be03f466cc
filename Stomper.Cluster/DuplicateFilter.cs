namespace Stomper.Cluster;

/// <summary>
/// The ids a subscription delivered lately, the last <c>window</c> of them: a ring of ids in
/// arrival order and a set to look them up. Sized once, so that a message costs a lookup
/// and nothing allocated.
/// </summary>
internal sealed class DuplicateFilter
{
    private readonly string?[] _ring;
    private readonly HashSet<string> _seen;
    private int _next;

    public DuplicateFilter(int window)
    {
        _ring = new string?[window];
        _seen = new HashSet<string>(window, StringComparer.Ordinal);
    }

    /// <summary>How many ids it holds now; never more than the window.</summary>
    public int Count => _seen.Count;

    /// <summary>Remembers <paramref name="id"/> and says true, or says false when it is among the last ids seen.</summary>
    public bool FirstTime(string id)
    {
        // Two lookups a message, not three: the add says whether it was there.
        if (!_seen.Add(id))
        {
            return false;
        }

        if (_ring[_next] is { } oldest)
        {
            _seen.Remove(oldest);
        }

        _ring[_next] = id;
        _next = (_next + 1) % _ring.Length;
        return true;
    }
}
