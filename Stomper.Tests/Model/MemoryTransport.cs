using EventLoop;

namespace Stomper.Tests.Model;

/// <summary>
/// The client's end of an in-memory connection to a <see cref="ModelBroker"/>: what a
/// socket would do, with every readiness announced through the loop's postponed queue,
/// so that one seed always gives the same interleaving.
/// </summary>
internal sealed class MemoryTransport : ITransport
{
    private readonly Loop _loop;
    private readonly ModelNetwork _network;
    private readonly Queue<byte[]> _inbound = new();
    private readonly Action _fireRead;
    private readonly Action _fireWrite;
    private int _headOffset;
    private ModelSession? _session;
    private Action? _onReadable;
    private Action? _onWritable;
    private bool _readPosted;
    private bool _writePosted;
    private bool _peerClosed;
    private bool _lastSendShort;

    public MemoryTransport(Loop loop, ModelNetwork network)
    {
        _loop = loop;
        _network = network;
        _fireRead = FireRead;
        _fireWrite = FireWrite;
    }

    public bool IsDisposed { get; private set; }

    public void Connect(string host, int port, Action<string?> completed) => _network.Connect(this, port, completed);

    /// <summary>The broker accepted: from now on the client's bytes go to <paramref name="session"/>.</summary>
    public void Attach(ModelSession session) => _session = session;

    public void WatchRead(Action? onReadable)
    {
        _onReadable = onReadable;
        ScheduleRead();
    }

    public void WatchWrite(Action? onWritable)
    {
        _onWritable = onWritable;
        ScheduleWrite();
    }

    public int Receive(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_inbound.TryPeek(out var chunk))
        {
            return _peerClosed ? 0 : -1;
        }

        // One broker write at most per read, so that the broker's random splits are
        // exactly the pieces the client's reader sees.
        var n = Math.Min(count, chunk.Length - _headOffset);
        chunk.AsSpan(_headOffset, n).CopyTo(buffer.AsSpan(offset));
        _headOffset += n;
        if (_headOffset == chunk.Length)
        {
            _inbound.Dequeue();
            _headOffset = 0;
        }

        return n;
    }

    public int Send(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (count == 0)
        {
            return 0;
        }

        var rng = _network.Random;
        if (!_lastSendShort && _network.SplitWrites && rng.Next(8) == 0)
        {
            // A full socket buffer: nothing taken now, writability announced later.
            _lastSendShort = true;
            return 0;
        }

        _lastSendShort = false;
        var n = _network.SplitWrites && rng.Next(3) == 0 ? 1 + rng.Next(count) : count;
        if (_session is { IsOpen: true } session)
        {
            // Bytes reach the broker as they are written: a frame written after
            // force_disconnect is seen at once.
            session.FromClient(buffer.AsSpan(offset, n));
        }

        return n;
    }

    public void Configure(bool noDelay, bool keepAlive)
    {
    }

    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        IsDisposed = true;
        _onReadable = _onWritable = null;
        _inbound.Clear();
        _session?.ClientClosed();
    }

    /// <summary>Bytes from the broker, as one read's worth.</summary>
    public void Deliver(byte[] chunk)
    {
        if (IsDisposed || _peerClosed)
        {
            return;
        }

        _inbound.Enqueue(chunk);
        ScheduleRead();
    }

    /// <summary>The broker closed: end-of-file after what was delivered.</summary>
    public void PeerClose()
    {
        if (IsDisposed || _peerClosed)
        {
            return;
        }

        _peerClosed = true;
        ScheduleRead();
    }

    private void ScheduleRead()
    {
        if (_onReadable is not null && !_readPosted && !IsDisposed && (_inbound.Count > 0 || _peerClosed))
        {
            _readPosted = true;
            _loop.Postpone(_fireRead);
        }
    }

    private void ScheduleWrite()
    {
        if (_onWritable is not null && !_writePosted && !IsDisposed)
        {
            _writePosted = true;
            _loop.Postpone(_fireWrite);
        }
    }

    private void FireRead()
    {
        _readPosted = false;
        try
        {
            _onReadable?.Invoke();
        }
        finally
        {
            // Level-triggered, as poll(2) is: data still waiting is announced again.
            ScheduleRead();
        }
    }

    private void FireWrite()
    {
        _writePosted = false;
        try
        {
            _onWritable?.Invoke();
        }
        finally
        {
            ScheduleWrite();
        }
    }
}
