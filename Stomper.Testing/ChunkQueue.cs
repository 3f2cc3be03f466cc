namespace Stomper.Testing;

/// <summary>Bytes in flight on an in-memory connection: whole chunks in, read out in any sizes, in order.</summary>
internal sealed class ChunkQueue
{
    private readonly Queue<byte[]> _chunks = new();
    private int _headOffset;

    /// <summary>Nothing waits.</summary>
    public bool IsEmpty => _chunks.Count == 0;

    /// <summary>How many bytes wait.</summary>
    public int Length => _chunks.Sum(chunk => chunk.Length) - _headOffset;

    public void Enqueue(byte[] chunk)
    {
        if (chunk.Length > 0)
        {
            _chunks.Enqueue(chunk);
        }
    }

    /// <summary>Copies up to <paramref name="count"/> waiting bytes out; 0 when none wait.</summary>
    public int Read(byte[] buffer, int offset, int count)
    {
        var copied = 0;
        while (copied < count && _chunks.TryPeek(out var chunk))
        {
            var n = Math.Min(count - copied, chunk.Length - _headOffset);
            chunk.AsSpan(_headOffset, n).CopyTo(buffer.AsSpan(offset + copied));
            copied += n;
            _headOffset += n;
            if (_headOffset == chunk.Length)
            {
                _chunks.Dequeue();
                _headOffset = 0;
            }
        }

        return copied;
    }
}
