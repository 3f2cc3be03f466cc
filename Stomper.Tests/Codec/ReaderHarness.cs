using System.Text;

namespace Stomper.Tests.Codec;

/// <summary>
/// Plays the connection's part: keeps the received-but-unconsumed bytes in one contiguous
/// buffer, as the client's read buffer does, and drains the reader after every chunk.
/// </summary>
internal sealed class ReaderHarness(FrameReader reader)
{
    private byte[] _pending = new byte[256];
    private int _length;

    public FrameReader Reader { get; } = reader;

    public List<Frame> Frames { get; } = [];

    public int HeartBeats { get; private set; }

    public StompError? Error { get; private set; }

    public int Pending => _length;

    /// <summary>The most bytes left pending after a call answered NeedMoreData.</summary>
    public int MaxPendingWhileWaiting { get; private set; }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static ReaderHarness ForServerFrames(FrameLimits? limits = null) => new(new FrameReader(FrameSource.Server, limits));

    /// <summary>Feeds a whole input in chunks of the given size.</summary>
    public ReaderHarness FeedInChunks(ReadOnlySpan<byte> input, int chunkSize)
    {
        for (int i = 0; i < input.Length && Error is null; i += chunkSize)
        {
            Feed(input.Slice(i, Math.Min(chunkSize, input.Length - i)));
        }

        return this;
    }

    public ReaderHarness Feed(ReadOnlySpan<byte> chunk)
    {
        if (Error is not null)
        {
            throw new InvalidOperationException("The connection would have been closed after the reader's error.");
        }

        if (_pending.Length < _length + chunk.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _length + chunk.Length));
        }

        chunk.CopyTo(_pending.AsSpan(_length));
        _length += chunk.Length;
        Drain();
        return this;
    }

    private void Drain()
    {
        while (true)
        {
            var result = Reader.TryRead(_pending.AsSpan(0, _length), out var frame, out int consumed, out var error);
            if (consumed < 0 || consumed > _length)
            {
                throw new InvalidOperationException($"consumed {consumed} of {_length} bytes");
            }

            switch (result)
            {
                case FrameReadResult.Frame:
                    Frames.Add(frame ?? throw new InvalidOperationException("Frame result without a frame"));
                    break;
                case FrameReadResult.HeartBeat:
                    if (consumed == 0)
                    {
                        throw new InvalidOperationException("HeartBeat result that consumed nothing");
                    }

                    HeartBeats++;
                    break;
                case FrameReadResult.NeedMoreData:
                    if (consumed != 0 || frame is not null || error is not null)
                    {
                        throw new InvalidOperationException("NeedMoreData must consume and return nothing");
                    }

                    MaxPendingWhileWaiting = Math.Max(MaxPendingWhileWaiting, _length);
                    return;
                case FrameReadResult.Error:
                    Error = error ?? throw new InvalidOperationException("Error result without an error");
                    return;
                default:
                    throw new InvalidOperationException($"unknown result {result}");
            }

            Array.Copy(_pending, consumed, _pending, 0, _length - consumed);
            _length -= consumed;
        }
    }
}
