namespace EventLoop;

/// <summary>
/// Where a <see cref="WebSocketTransport"/>'s receiving task, on the runtime's threads, leaves
/// what it received for the loop to read: the one place both sides touch, under a lock. It
/// asks for a wake-up of the loop only when none is pending, so a burst of messages costs one
/// hand-over, and it holds the receiving task back once <c>limit</c> bytes wait unread (a
/// reader that stopped reading is not flooded).
/// </summary>
internal sealed class WebSocketInbox : IDisposable
{
    private readonly object _gate = new();
    private readonly ByteBuffer _bytes;
    private readonly int _limit;
    private TaskCompletionSource? _room;
    private bool _wakePending;
    private bool _ended;
    private string? _failure;
    private bool _disposed;

    public WebSocketInbox(int limit)
    {
        _limit = limit;
        _bytes = new ByteBuffer(64 * 1024);
    }

    /// <summary>Why the stream ended, when it ended with a reason (a close frame's status and text).</summary>
    public string? EndReason { get; private set; }

    /// <summary>Whether the loop would find something in <see cref="Take"/> now (data, the end, or a failure).</summary>
    public bool Ready
    {
        get
        {
            lock (_gate)
            {
                return _bytes.Length > 0 || _ended || _failure is not null;
            }
        }
    }

    /// <summary>Receiving side: adds bytes; true when the loop must be woken for them.</summary>
    public bool Add(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _bytes.Write(data);
            return Wake();
        }
    }

    /// <summary>Receiving side: the stream ended (a close frame, or a connection that ended without one); true when the loop must be woken.</summary>
    public bool End(string reason)
    {
        lock (_gate)
        {
            _ended = true;
            EndReason ??= reason;
            return Wake();
        }
    }

    /// <summary>Receiving side: the stream failed; the loop's next read throws with <paramref name="text"/>.</summary>
    public bool Fail(string text)
    {
        lock (_gate)
        {
            _failure ??= text;
            return Wake();
        }
    }

    /// <summary>Receiving side: completes when fewer than the limit's bytes wait unread.</summary>
    public Task WaitForRoomAsync()
    {
        lock (_gate)
        {
            if (_bytes.Length < _limit || _disposed)
            {
                return Task.CompletedTask;
            }

            _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Loop side: the wake-up arrived; anything added from now on asks for a new one.</summary>
    public void Woken()
    {
        lock (_gate)
        {
            _wakePending = false;
        }
    }

    /// <summary>
    /// Loop side: copies what waits into <paramref name="into"/>: the count, 0 once the stream
    /// has ended and everything before the end was taken, -1 when nothing waits now. Throws
    /// an <see cref="IOException"/> for a failure, once the bytes before it are taken.
    /// </summary>
    public int Take(Span<byte> into)
    {
        TaskCompletionSource? room = null;
        int n;
        lock (_gate)
        {
            n = Math.Min(into.Length, _bytes.Length);
            if (n > 0)
            {
                _bytes.Span[..n].CopyTo(into);
                _bytes.Consume(n);
                if (_room is not null && _bytes.Length < _limit)
                {
                    room = _room;
                    _room = null;
                }
            }
            else if (_failure is { } failure)
            {
                throw new IOException(failure);
            }
            else if (_ended)
            {
                return 0;
            }
            else
            {
                return -1;
            }
        }

        room?.SetResult();
        return n;
    }

    /// <summary>Drops what waits and lets a receiving task held back go (to find its socket closed).</summary>
    public void Dispose()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _bytes.Dispose();
            room = _room;
            _room = null;
        }

        room?.SetResult();
    }

    private bool Wake()
    {
        if (_wakePending)
        {
            return false;
        }

        _wakePending = true;
        return true;
    }
}
