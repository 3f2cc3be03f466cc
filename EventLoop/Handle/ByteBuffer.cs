using System.Buffers;

namespace EventLoop;

/// <summary>
/// A growable byte queue over pooled arrays: bytes are appended at the end and consumed
/// from the front, and the array is compacted or swapped for a larger one from
/// <see cref="ArrayPool{T}"/> only when the free tail is too small. Single-threaded.
/// </summary>
/// <remarks>
/// System.IO.Pipelines' <c>Pipe</c> offers the same shape, but it is built for a reader
/// and a writer on different threads and pays for that with synchronisation on every
/// call; the loop owns both ends, so a plain buffer is both simpler and cheaper.
/// </remarks>
internal sealed class ByteBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _array;
    private int _start;
    private int _end;
    private bool _disposed;

    public ByteBuffer(int initialCapacity)
    {
        _array = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int Length => _end - _start;

    public ReadOnlySpan<byte> Span => _array.AsSpan(_start, _end - _start);

    internal byte[] Array => _array;

    internal int Start => _start;

    internal int End => _end;

    public void Consume(int count)
    {
        if ((uint)count > (uint)Length)
        {
            throw LoopErrors.TooFewBuffered(nameof(count), count, Length);
        }

        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    public void Clear() => _start = _end = 0;

    /// <summary>Drops bytes from the end so that <paramref name="length"/> remain.</summary>
    public void Truncate(int length)
    {
        if ((uint)length > (uint)Length)
        {
            throw LoopErrors.TooFewBuffered(nameof(length), length, Length);
        }

        _end = _start + length;
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_end);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_end);
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _end))
        {
            throw LoopErrors.AdvancedPastSpan(nameof(count), count);
        }

        _end += count;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _end += bytes.Length;
    }

    /// <summary>Makes room for at least <paramref name="sizeHint"/> bytes (one, when 0) after the end.</summary>
    public void Reserve(int sizeHint)
    {
        // A destroyed handle's buffer is gone: writing on would rent arrays nobody returns.
        ObjectDisposedException.ThrowIf(_disposed, this);
        var need = Math.Max(sizeHint, 1);
        if (_array.Length - _end >= need)
        {
            return;
        }

        var length = Length;
        if (_array.Length - length >= need && _start >= _array.Length / 2)
        {
            // Moving the unread half down is cheaper than a bigger array.
            _array.AsSpan(_start, length).CopyTo(_array);
        }
        else
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, length + need));
            _array.AsSpan(_start, length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        _start = 0;
        _end = length;
    }

    public void Dispose()
    {
        _disposed = true;
        var array = _array;
        _array = [];
        _start = _end = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
