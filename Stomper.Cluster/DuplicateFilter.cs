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
    /// <summary>The ring's size when the first id arrives: it doubles up to the window as ids fill it.</summary>
    private const int FirstSize = 1024;

    private readonly int _window;
    private readonly HashSet<IdKey> _seen;
    private IdKey[] _ring;
    private int _next;

    /// <remarks>
    /// Sized as ids arrive, not up front: a window is a bound, and a large one (or
    /// <see cref="int.MaxValue"/> for "as many as arrive") would otherwise take its whole
    /// memory at the SUBSCRIBE, or fail it there. The ring grows only until it is full, so
    /// a steady stream allocates nothing.
    /// </remarks>
    public DuplicateFilter(int window)
    {
        _window = window;
        _ring = new IdKey[Math.Min(window, FirstSize)];
        _seen = new HashSet<IdKey>(_ring.Length);
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

        if (_next == _ring.Length)
        {
            // Filled from the start without a wrap so far, so the oldest id is at 0 either way.
            if (_ring.Length < _window)
            {
                Array.Resize(ref _ring, (int)Math.Min(2L * _ring.Length, _window));
            }
            else
            {
                _next = 0;
            }
        }

        if (_ring[_next].IsSet)
        {
            _seen.Remove(_ring[_next]);
        }

        _ring[_next] = key;
        _next++;
        return true;
    }

    /// <summary>
    /// Lets <paramref name="id"/> through again: the application refused its message (NACK)
    /// and asked the broker for it again. A scan of the window, paid only on a NACK.
    /// </summary>
    public void Forget(string id)
    {
        var key = new IdKey(id);
        if (!_seen.Remove(key))
        {
            return;
        }

        // Its slot is emptied too, or overwriting it later would take out the id's next,
        // newer entry before that one's time.
        var slot = Array.IndexOf(_ring, key);
        if (slot >= 0)
        {
            _ring[slot] = default;
        }
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
