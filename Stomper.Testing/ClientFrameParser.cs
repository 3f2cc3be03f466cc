using System.Diagnostics.CodeAnalysis;

namespace Stomper.Testing;

/// <summary>
/// Reads back the frames a client wrote, from the bytes a test's transport received
/// (a Moq <c>ITransport.Send</c> callback, say): heart-beat EOLs are counted and skipped,
/// frames cut across writes are joined, headers are unescaped by <see cref="Version"/>.
/// </summary>
public sealed class ClientFrameParser
{
    private readonly FrameReader _reader = new(FrameSource.Client);
    private byte[] _buffer = new byte[1024];
    private int _start;
    private int _length;

    /// <summary>
    /// The version whose escaping applies (1.0 at first, as for CONNECT itself). Set it to
    /// the negotiated version once the CONNECT frame has been read.
    /// </summary>
    public StompVersion Version
    {
        get => _reader.Version;
        set => _reader.Version = value;
    }

    /// <summary>Heart-beat EOLs read between frames so far.</summary>
    public int HeartBeats { get; private set; }

    /// <summary>Why the bytes are not STOMP, once <see cref="TryRead"/> has met a malformed frame; null until then.</summary>
    public StompError? Fault { get; private set; }

    /// <summary>
    /// Every frame in <paramref name="bytes"/>, in order, with the escaping of 1.0 up to
    /// the CONNECT (or STOMP) frame and of <paramref name="versionAfterConnect"/> after it.
    /// </summary>
    /// <exception cref="FormatException">The bytes hold a malformed frame; the message says why.</exception>
    public static IReadOnlyList<Frame> ParseAll(ReadOnlySpan<byte> bytes, StompVersion versionAfterConnect)
    {
        var parser = new ClientFrameParser();
        parser.Append(bytes);
        var frames = new List<Frame>();
        while (parser.TryRead(out var frame))
        {
            frames.Add(frame);
            if (frame.Command is StompCommands.Connect or StompCommands.Stomp)
            {
                parser.Version = versionAfterConnect;
            }
        }

        return parser.Fault is { } fault ? throw new FormatException(fault.Message) : frames;
    }

    /// <summary>Adds bytes the client wrote.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_start + _length + bytes.Length > _buffer.Length)
        {
            // Compact first; grow only when the unread bytes themselves do not fit.
            var size = Math.Max(_buffer.Length, _length + bytes.Length);
            var next = size > _buffer.Length ? new byte[Math.Max(size, _buffer.Length * 2)] : _buffer;
            _buffer.AsSpan(_start, _length).CopyTo(next);
            _buffer = next;
            _start = 0;
        }

        bytes.CopyTo(_buffer.AsSpan(_start + _length));
        _length += bytes.Length;
    }

    /// <summary>
    /// The next whole frame, skipping heart-beats; false when the bytes so far end before
    /// one, or once they turned out malformed (<see cref="Fault"/>).
    /// </summary>
    public bool TryRead([NotNullWhen(true)] out Frame? frame)
    {
        while (Fault is null)
        {
            var unread = _buffer.AsSpan(_start, _length);
            var result = _reader.TryRead(unread, out frame, out var consumed, out var error);
            if (result == FrameReadResult.HeartBeat)
            {
                HeartBeats += unread[..consumed].Count((byte)'\n');
            }

            _start += consumed;
            _length -= consumed;
            switch (result)
            {
                case FrameReadResult.Frame when frame is not null:
                    return true;
                case FrameReadResult.HeartBeat:
                    continue;
                case FrameReadResult.Error:
                    Fault = error;
                    break;
                default:
                    frame = null;
                    return false;
            }
        }

        frame = null;
        return false;
    }
}
