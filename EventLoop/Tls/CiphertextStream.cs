using System.Threading.Tasks.Sources;

namespace EventLoop;

/// <summary>
/// The stream an <see cref="System.Net.Security.SslStream"/> runs over inside
/// <see cref="TlsTransport"/>: it never touches a socket. A read with no ciphertext at hand
/// returns a pending <see cref="ValueTask{TResult}"/> that <see cref="Received"/> completes
/// on the loop thread when the loop has read some, running SslStream's continuation right
/// there (continuations are not forced asynchronous), so decryption happens as the loop
/// reads, without a hop to the thread pool. Writes append the ciphertext to
/// <see cref="Outbound"/>, which the transport hands to the socket without blocking.
/// </summary>
internal sealed class CiphertextStream : Stream, IValueTaskSource<int>
{
    private readonly byte[] _inbound;
    private ManualResetValueTaskSourceCore<int> _read;
    private Memory<byte> _readInto;
    private int _inStart;
    private int _inEnd;
    private bool _disposed;

    /// <summary>Bytes of the TLS record being handed to SslStream that it has not had yet, its header included.</summary>
    private int _recordLeft;

    /// <summary>The next record's header, when it came in pieces: <see cref="_headerHad"/> of its 5 bytes handed so far.</summary>
    private readonly byte[] _header = new byte[RecordHeader];
    private int _headerHad;

    private const int RecordHeader = 5;

    public CiphertextStream(int inboundSize)
    {
        _inbound = System.Buffers.ArrayPool<byte>.Shared.Rent(inboundSize);
        Outbound = new ByteBuffer(inboundSize);
    }

    /// <summary>Ciphertext written by SslStream and not yet handed to the socket.</summary>
    public ByteBuffer Outbound { get; }

    /// <summary>SslStream waits for ciphertext.</summary>
    public bool IsReadPending { get; private set; }

    /// <summary>Ciphertext read from the socket that SslStream has not asked for yet.</summary>
    public bool HasInbound => _inEnd > _inStart;

    /// <summary>
    /// Ciphertext goes to SslStream one TLS record at a time, so that SslStream holds none
    /// between its reads; false from the first header that is not a TLS record's (an SSLv2
    /// hello, garbage), after which everything at hand is handed as it comes.
    /// </summary>
    public bool Framed { get; private set; } = true;

    /// <summary>The socket reached end-of-file.</summary>
    public bool ReachedEof { get; private set; }

    /// <summary>The managed thread on which SslStream last asked for ciphertext: the loop's, if no hop happened.</summary>
    public int LastReadThreadId { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Where the next read from the socket goes; only called while nothing inbound is left.</summary>
    public ArraySegment<byte> InboundSpace()
    {
        _inStart = _inEnd = 0;
        return new ArraySegment<byte>(_inbound);
    }

    /// <summary><paramref name="count"/> bytes were read into <see cref="InboundSpace"/>: hands them to a waiting SslStream read.</summary>
    public void Received(int count)
    {
        _inEnd += count;
        Complete();
    }

    /// <summary>The socket reached end-of-file: a waiting SslStream read gets 0.</summary>
    public void ReceivedEof()
    {
        ReachedEof = true;
        Complete();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        LastReadThreadId = Environment.CurrentManagedThreadId;
        if (HasInbound)
        {
            return new ValueTask<int>(Take(buffer.Span));
        }

        if (ReachedEof)
        {
            return new ValueTask<int>(0);
        }

        if (IsReadPending)
        {
            throw LoopErrors.TlsSecondPendingRead();
        }

        _read.Reset();
        _readInto = buffer;
        IsReadPending = true;
        return new ValueTask<int>(this, _read.Version);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Only the asynchronous path is used: a synchronous read with nothing at hand would block the loop.
        if (HasInbound)
        {
            return Take(buffer);
        }

        return ReachedEof ? 0 : throw LoopErrors.TlsSynchronousRead();
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Outbound.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => Outbound.Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Outbound.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Outbound.Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            Outbound.Dispose();
            System.Buffers.ArrayPool<byte>.Shared.Return(_inbound);
        }

        base.Dispose(disposing);
    }

    private void Complete()
    {
        if (!IsReadPending || !(HasInbound || ReachedEof))
        {
            return;
        }

        var n = HasInbound ? Take(_readInto.Span) : 0;
        IsReadPending = false;
        _readInto = default;

        // Runs SslStream's continuation here, on the loop thread, before returning.
        _read.SetResult(n);
    }

    /// <summary>
    /// Hands SslStream ciphertext up to the end of one TLS record at most, so that once a
    /// read of SslStream completes, nothing more sits in SslStream's own buffer: the next
    /// ciphertext is still here, where <see cref="HasInbound"/> sees it, and the transport
    /// can read from the socket before asking SslStream, which then decrypts at once rather
    /// than waiting (a pending read costs two async resumptions per record).
    /// </summary>
    private int Take(Span<byte> into)
    {
        var available = _inEnd - _inStart;
        if (Framed && _recordLeft == 0 && _headerHad + available >= RecordHeader)
        {
            // At a record boundary with the whole header at hand (some of it maybe handed before).
            _inbound.AsSpan(_inStart, RecordHeader - _headerHad).CopyTo(_header.AsSpan(_headerHad));
            _recordLeft = RecordHeader + (_header[3] << 8 | _header[4]) - _headerHad;
            _headerHad = 0;

            // TLS content types are 20 to 24; SslStream judges anything else itself.
            Framed &= _header[0] is >= 20 and <= 24;
        }

        int n;
        if (!Framed)
        {
            n = Math.Min(into.Length, available);
        }
        else if (_recordLeft == 0)
        {
            // Part of a header only: SslStream waits for the rest, as this does.
            n = Math.Min(into.Length, available);
            _inbound.AsSpan(_inStart, n).CopyTo(_header.AsSpan(_headerHad));
            _headerHad += n;
        }
        else
        {
            n = Math.Min(into.Length, Math.Min(available, _recordLeft));
            _recordLeft -= n;
        }

        _inbound.AsSpan(_inStart, n).CopyTo(into);
        _inStart += n;
        return n;
    }
}
