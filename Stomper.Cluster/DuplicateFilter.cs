using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Stomper.Cluster;

/// <summary>
/// The ids a subscription delivered lately, the last <c>window</c> of them: a ring of the
/// ids in arrival order and a set of ring positions to look them up. Sized only as ids
/// arrive, so that a steady stream costs one hash and two set operations a message and
/// allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// An ASCII id of up to <see cref="Slot.InlineLength"/> characters (the journal's are about
/// 22) is kept as a copy of its bytes in its ring slot, not as the frame's string: holding
/// ten thousand id strings kept them alive past the young generation, and copying them
/// there cost more than the rest of a message's path (the consume benchmark ran at 45% of
/// its speed without a window, against about 90% with the copies). Other ids are kept as
/// their strings beside the ring. A slot holds no reference, so that filling it is a plain
/// copy, without the collector's write barrier, and the collector never scans the ring.
/// </para>
/// <para>
/// The set holds ring positions (ints), hashed by the hash each slot keeps: a set of the
/// ids' 80-byte copies themselves (about 1.7 MB for a window of 10,000 with the ring) cost
/// a message about 0.4 µs, in cache misses, struct copies and a second hash of each
/// evicted id. The ring has one slot more than the window, the free one: an id arriving is
/// written there and offered to the set as that position, so that a repeat costs one
/// lookup and leaves the window as it was.
/// </para>
/// </remarks>
internal sealed class DuplicateFilter : IEqualityComparer<int>
{
    /// <summary>The ring's size when the first id arrives: it doubles up to the window as ids fill it.</summary>
    private const int FirstSize = 1024;

    private readonly int _slots;
    private readonly HashSet<int> _seen;
    private Slot[] _ring;

    // The ids too long or not ASCII to keep in a slot, by slot; made on the first such id.
    private string?[]? _long;
    private int _next;

    /// <remarks>
    /// Sized as ids arrive, not up front: a window is a bound, and a large one (or
    /// <see cref="int.MaxValue"/> for "as many as arrive") would otherwise take its whole
    /// memory at the SUBSCRIBE, or fail it there. The ring grows only until it is full, so
    /// a steady stream allocates nothing.
    /// </remarks>
    public DuplicateFilter(int window)
    {
        // The window's ids and the free slot, within what an array can hold.
        _slots = (int)Math.Min((long)window + 1, Array.MaxLength);
        _ring = new Slot[Math.Min(_slots, FirstSize)];
        _seen = new HashSet<int>(_ring.Length, this);
    }

    /// <summary>How many ids it holds now; never more than the window.</summary>
    public int Count => _seen.Count;

    /// <summary>Remembers <paramref name="id"/> and says true, or says false when it is among the last ids seen.</summary>
    public bool FirstTime(string id)
    {
        var slot = Offer(id);
        if (!_seen.Add(slot))
        {
            // The free slot stays free: a repeat changes nothing.
            Clear(slot);
            return false;
        }

        // The window's ids and this one fill the ring: the oldest, just after it, makes room.
        _next = slot + 1;
        var oldest = _next == _slots ? 0 : _next;
        if (_ring.Length == _slots && _ring[oldest].IsSet)
        {
            _seen.Remove(oldest);
            Clear(oldest);
        }

        return true;
    }

    /// <summary>
    /// Lets <paramref name="id"/> through again: the application refused its message (NACK)
    /// and asked the broker for it again. Paid only on a NACK.
    /// </summary>
    public void Forget(string id)
    {
        var probe = Offer(id);
        if (_seen.TryGetValue(probe, out var held))
        {
            // Its slot is emptied too, or evicting it later would take out the id's next,
            // newer entry before that one's time.
            _seen.Remove(held);
            Clear(held);
        }

        Clear(probe);
    }

    /// <inheritdoc/>
    bool IEqualityComparer<int>.Equals(int x, int y)
    {
        if (x == y)
        {
            return true;
        }

        ref readonly var a = ref _ring[x];
        ref readonly var b = ref _ring[y];
        return a.Hash == b.Hash && a.Length == b.Length
            && (a.Length == Slot.Long ? string.Equals(_long![x], _long[y], StringComparison.Ordinal) : Slot.BytesOf(in a).SequenceEqual(Slot.BytesOf(in b)));
    }

    /// <inheritdoc/>
    int IEqualityComparer<int>.GetHashCode(int slot) => _ring[slot].Hash;

    /// <summary>Writes <paramref name="id"/> into the free slot, growing the ring or wrapping it first, and says which slot that is.</summary>
    private int Offer(string id)
    {
        if (_next == _ring.Length)
        {
            // Filled from the start without a wrap so far, so the oldest id is at 0 either way.
            if (_ring.Length < _slots)
            {
                var size = (int)Math.Min(2L * _ring.Length, _slots);
                Array.Resize(ref _ring, size);
                if (_long is not null)
                {
                    Array.Resize(ref _long, size);
                }
            }
            else
            {
                _next = 0;
            }
        }

        if (!_ring[_next].TryFill(id))
        {
            _long ??= new string?[_ring.Length];
            _long[_next] = id;
        }

        return _next;
    }

    private void Clear(int slot)
    {
        _ring[slot].Length = 0;
        if (_long is not null)
        {
            _long[slot] = null;
        }
    }

    /// <summary>One id of the ring: its hash, and its characters as ASCII bytes when they fit.</summary>
    private struct Slot
    {
        public const int InlineLength = 32;

        /// <summary>The <see cref="Length"/> of an id kept as its string in <see cref="_long"/>.</summary>
        public const int Long = -1;

        public int Hash;

        /// <summary>0 for a free slot, <see cref="Long"/>, else the id's length plus one (so that an empty id is told apart from a free slot).</summary>
        public int Length;

        private InlineBytes _bytes;

        public readonly bool IsSet => Length != 0;

        public static ReadOnlySpan<byte> BytesOf(in Slot slot) => ((ReadOnlySpan<byte>)slot._bytes)[..(slot.Length - 1)];

        /// <summary>Takes <paramref name="id"/>'s hash, and its bytes unless it is too long or not ASCII (then says false).</summary>
        public bool TryFill(string id)
        {
            Hash = string.GetHashCode(id.AsSpan(), StringComparison.Ordinal);
            if (id.Length <= InlineLength && Ascii.FromUtf16(id, _bytes, out _) == OperationStatus.Done)
            {
                Length = id.Length + 1;
                return true;
            }

            Length = Long;
            return false;
        }
    }

    [InlineArray(Slot.InlineLength)]
    private struct InlineBytes
    {
        private byte _first;
    }
}
