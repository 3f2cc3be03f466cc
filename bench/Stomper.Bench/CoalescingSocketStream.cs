using System.Net.Sockets;

namespace Stomper.Bench;

/// <summary>
/// The stream under the peer's <see cref="System.Net.Security.SslStream"/>: reads go to the
/// socket, writes gather until <see cref="Flush"/>. SslStream writes each 16 KiB record on
/// its own; gathered, a flood batch leaves in one <c>send(2)</c>, as the plaintext peer's
/// does, so that the TLS workloads compare the client's costs rather than the peer's system calls.
/// One reader and one writer may use it at once (the writer under the peer's lock).
/// </summary>
internal sealed class CoalescingSocketStream(Socket socket) : Stream
{
    private readonly MemoryStream _pending = new();

    /// <summary>Off during the handshake (SslStream does not flush it); on once the session is up.</summary>
    public bool Gather { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => socket.Receive(buffer, offset, count, SocketFlags.None);

    public override int Read(Span<byte> buffer) => socket.Receive(buffer, SocketFlags.None);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _pending.Write(buffer);
        if (!Gather)
        {
            Flush();
        }
    }

    public override void Flush()
    {
        var bytes = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }

        _pending.SetLength(0);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
