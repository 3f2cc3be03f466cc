using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stomper.Testing;

namespace Stomper.Tests.Fakes;

/// <summary>
/// A blocking STOMP client on a plain <see cref="TcpClient"/>, run by the test thread:
/// enough to drive a <see cref="FakeBroker"/> before the real client exists. Every read is
/// bounded by a receive timeout.
/// </summary>
internal sealed class RawStompClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly FrameReader _reader = new(FrameSource.Server);
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;

    public RawStompClient(int port, int timeoutMs = 5000)
    {
        _tcp = new TcpClient { NoDelay = true, ReceiveTimeout = timeoutMs, SendTimeout = timeoutMs };
        _tcp.Connect(IPAddress.Loopback, port);
    }

    /// <summary>The version whose escaping applies, set by <see cref="Connect"/> from CONNECTED.</summary>
    public StompVersion Version { get; private set; } = StompVersion.V1_0;

    /// <summary>Heart-beat EOLs read so far.</summary>
    public int HeartBeats { get; private set; }

    public Socket Socket => _tcp.Client;

    /// <summary>Sends CONNECT and returns the answer (CONNECTED, whose version then applies, or ERROR).</summary>
    public Frame Connect(string? acceptVersion = "1.2", string heartBeat = "0,0", params (string Name, string Value)[] extra)
    {
        var headers = new List<(string, string)>();
        if (acceptVersion is not null)
        {
            headers.Add(("accept-version", acceptVersion));
        }

        headers.Add(("host", "/"));
        headers.Add(("heart-beat", heartBeat));
        headers.AddRange(extra);
        Send(StompCommands.Connect, string.Empty, [.. headers]);
        var answer = Read();
        if (answer.Command == StompCommands.Connected && StompVersions.TryParse(answer.Headers["version"], out var version))
        {
            Version = version;
            _reader.Version = version;
        }

        return answer;
    }

    public void Send(string command, string body = "", params (string Name, string Value)[] headers) =>
        Send(new Frame(command, new FrameHeaders(headers), body));

    public void Send(Frame frame)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, frame, Version);
        WriteRaw(output.WrittenSpan);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => _tcp.Client.Send(bytes);

    public void WriteRaw(string text) => WriteRaw(Encoding.UTF8.GetBytes(text));

    /// <summary>The next frame, heart-beats skipped; fails on end-of-file or after the timeout.</summary>
    public Frame Read() =>
        ReadOrEof() ?? throw new EndOfStreamException("The broker closed the connection where the test expected a frame");

    /// <summary>The next frame, or null at end-of-file.</summary>
    public Frame? ReadOrEof()
    {
        while (true)
        {
            switch (_reader.TryRead(_buffer.AsSpan(0, _length), out var frame, out var consumed, out var error))
            {
                case FrameReadResult.Frame:
                    Shift(consumed);
                    return frame;
                case FrameReadResult.HeartBeat:
                    HeartBeats += _buffer.AsSpan(0, consumed).Count((byte)'\n');
                    Shift(consumed);
                    continue;
                case FrameReadResult.Error:
                    throw new InvalidDataException("The broker sent a malformed frame: " + error!.Message);
            }

            if (!Fill())
            {
                return null;
            }
        }
    }

    /// <summary>Reads until the broker closes, returning the frames that came before the end-of-file.</summary>
    public IReadOnlyList<Frame> ReadUntilClosed()
    {
        var frames = new List<Frame>();
        while (ReadOrEof() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>Reads until <paramref name="count"/> heart-beats have arrived in all; fails if a frame comes instead.</summary>
    public void ReadHeartBeats(int count)
    {
        while (HeartBeats < count)
        {
            if (_reader.TryRead(_buffer.AsSpan(0, _length), out var frame, out var consumed, out _) == FrameReadResult.HeartBeat)
            {
                HeartBeats += _buffer.AsSpan(0, consumed).Count((byte)'\n');
                Shift(consumed);
            }
            else if (frame is not null)
            {
                throw new InvalidDataException($"Expected heart-beats, got {frame}");
            }
            else if (!Fill())
            {
                throw new EndOfStreamException("The broker closed the connection where the test expected heart-beats");
            }
        }
    }

    public void Dispose() => _tcp.Dispose();

    private bool Fill()
    {
        if (_length == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int n;
        try
        {
            n = _tcp.Client.Receive(_buffer, _length, _buffer.Length - _length, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException($"Nothing from the broker within {_tcp.ReceiveTimeout} ms", e);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return false;
        }

        _length += n;
        return n > 0;
    }

    private void Shift(int consumed)
    {
        _buffer.AsSpan(consumed, _length - consumed).CopyTo(_buffer);
        _length -= consumed;
    }
}
