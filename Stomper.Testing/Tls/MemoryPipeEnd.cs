using EventLoop;

namespace Stomper.Testing;

/// <summary>One end of a <see cref="MemoryPipe"/>.</summary>
public sealed class MemoryPipeEnd : ITransport
{
    private readonly Loop _loop;
    private readonly MemoryPipe _pipe;
    private readonly ChunkQueue _inbound = new();
    private Action? _readable;
    private Action? _writable;
    private bool _readQueued;
    private bool _writeQueued;
    private bool _eof;
    private bool _paused;

    internal MemoryPipeEnd(Loop loop, MemoryPipe pipe)
    {
        _loop = loop;
        _pipe = pipe;
    }

    /// <summary>True once disposed (closed by its owner).</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Bytes waiting to be received at this end.</summary>
    public int Pending => _inbound.Length;

    /// <summary>While true this end reads nothing (its receive says "nothing now" and its read watcher stays quiet): a peer that stopped reading.</summary>
    public bool Paused
    {
        get => _paused;
        set
        {
            _paused = value;
            QueueRead();
        }
    }

    /// <summary>Every byte this end has sent (for tests that look at the ciphertext).</summary>
    public long BytesSent { get; private set; }

    internal MemoryPipeEnd Peer { get; set; } = null!;

    /// <summary>Writes <paramref name="bytes"/> straight to the other end, as a hostile peer would: no TLS, no handle.</summary>
    public void Inject(ReadOnlySpan<byte> bytes) => Peer.Deliver(bytes.ToArray());

    /// <summary>Ends the stream towards the other end (its next receive returns 0) without closing this end.</summary>
    public void ShutdownSend() => Peer.DeliverEof();

    /// <inheritdoc/>
    public void Connect(string host, int port, Action<string?> completed) => _loop.Postpone(() =>
    {
        if (!IsClosed)
        {
            completed(null);
        }
    });

    /// <inheritdoc/>
    public void WatchRead(Action? onReadable)
    {
        _readable = onReadable;
        QueueRead();
    }

    /// <inheritdoc/>
    public void WatchWrite(Action? onWritable)
    {
        _writable = onWritable;
        QueueWrite();
    }

    /// <inheritdoc/>
    public int Receive(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (_paused)
        {
            return -1;
        }

        var copied = _inbound.Read(buffer, offset, count);
        if (copied > 0)
        {
            if (_inbound.IsEmpty)
            {
                Peer.QueueWrite();
            }

            return copied;
        }

        return _eof ? 0 : -1;
    }

    /// <inheritdoc/>
    public int Send(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (Peer.IsClosed)
        {
            throw new IOException("Broken pipe");
        }

        if (this == _pipe.Client && _pipe.ClientSendLimit > 0)
        {
            if (!Peer._inbound.IsEmpty)
            {
                return 0;
            }

            count = Math.Min(count, _pipe.ClientSendLimit);
        }

        BytesSent += count;
        Peer.Deliver(buffer.AsSpan(offset, count).ToArray());
        return count;
    }

    /// <inheritdoc/>
    public void Configure(bool noDelay, bool keepAlive)
    {
    }

    /// <summary>Closes this end: the other end reads end-of-file.</summary>
    public void Dispose()
    {
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        _readable = _writable = null;
        Peer.DeliverEof();
    }

    private void Deliver(byte[] bytes)
    {
        if (IsClosed || _eof)
        {
            return;
        }

        _inbound.Enqueue(bytes);
        QueueRead();
    }

    private void DeliverEof()
    {
        _eof = true;
        QueueRead();
    }

    private void QueueRead()
    {
        if (_readQueued || _paused || _readable is null || (_inbound.IsEmpty && !_eof))
        {
            return;
        }

        _readQueued = true;
        _loop.Postpone(() =>
        {
            _readQueued = false;
            _readable?.Invoke();

            // Level-triggered, as a socket watcher: call again while something waits.
            QueueRead();
        });
    }

    private void QueueWrite()
    {
        if (_writeQueued || _writable is null)
        {
            return;
        }

        _writeQueued = true;
        _loop.Postpone(() =>
        {
            _writeQueued = false;
            if (_writable is { } writable && (this != _pipe.Client || _pipe.ClientSendLimit == 0 || Peer._inbound.IsEmpty))
            {
                writable();
                QueueWrite();
            }
        });
    }
}
