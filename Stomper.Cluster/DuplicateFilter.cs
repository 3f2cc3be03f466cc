using System.Runtime.CompilerServices;

namespace Stomper.Cluster;

/// <summary>
/// The ids a subscription delivered lately, the last <c>window</c> of them: a ring in
/// arrival order and a set to look them up. Sized once, so that a message costs a lookup
/// and nothing allocated.
/// </summary>
/// <remarks>
/// An id of up to <see cref="IdKey.InlineLength"/> characters (the journal's are about 22)
/// is kept as a copy of its characters inside the set's entry, not as the frame's string:
/// holding ten thousand id strings kept them alive past the young generation, and copying
/// them there cost more than the rest of a message's path (the consume benchmark ran at
/// 45% of its speed without a window, against about 90% with the copies).
/// </remarks>
internal sealed class DuplicateFilter
{
    private readonly IdKey[] _ring;
    private readonly HashSet<IdKey> _seen;
    private int _next;

    public DuplicateFilter(int window)
    {
        _ring = new IdKey[window];
        _seen = new HashSet<IdKey>(window);
    }

    /// <summary>How many ids it holds now; never more than the window.</summary>
    public int Count => _seen.Count;

    /// <summary>Remembers <paramref name="id"/> and says true, or says false when it is among the last ids seen.</summary>
    public bool FirstTime(string id)
    {
        var key = new IdKey(id);

        // Two lookups a message, not three: the add says whether it was there.
        if (!_seen.Add(key))
        {
            return false;
        }

        if (_ring[_next].IsSet)
        {
            _seen.Remove(_ring[_next]);
        }

        _ring[_next] = key;
        _next = (_next + 1) % _ring.Length;
        return true;
    }

    /// <summary>An id by value: short ones as characters held inline, longer ones as their string.</summary>
    private readonly struct IdKey : IEquatable<IdKey>
    {
        public const int InlineLength = 32;

        private readonly InlineChars _chars;
        private readonly string? _long;
        private readonly int _length;

        public IdKey(string id)
        {
            if (id.Length <= InlineLength)
            {
                id.AsSpan().CopyTo(_chars);
            }
            else
            {
                _long = id;
            }

            // Stored one up, so that the default key (a ring slot never filled) is told apart from an empty id.
            _length = id.Length + 1;
        }

        public bool IsSet => _length > 0;

        public bool Equals(IdKey other) => _length == other._length && CharsOf(in this).SequenceEqual(CharsOf(in other));

        public override bool Equals(object? obj) => obj is IdKey other && Equals(other);

        public override int GetHashCode() => string.GetHashCode(CharsOf(in this), StringComparison.Ordinal);

        private static ReadOnlySpan<char> CharsOf(in IdKey key) =>
            key._long is { } text ? text.AsSpan() : ((ReadOnlySpan<char>)key._chars)[..(key._length - 1)];
    }

    [InlineArray(IdKey.InlineLength)]
    private struct InlineChars
    {
        private char _first;
    }
}
