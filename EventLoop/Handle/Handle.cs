using System.Buffers;
using System.Text;

namespace EventLoop;

/// <summary>
/// A buffered, non-blocking connection in the manner of AnyEvent::Handle: connects
/// without blocking the loop, gathers what arrives in a read buffer that
/// <see cref="OnRead"/> consumes from, and queues writes in a write buffer that drains
/// as the socket allows. Every callback runs on the loop thread.
/// </summary>
/// <remarks>
/// <para>Reading: <see cref="ReadBuffer"/> is Perl's <c>$handle-&gt;{rbuf}</c>;
/// <see cref="Consume"/> is <c>substr $handle-&gt;{rbuf}, 0, $n, ''</c>.</para>
/// <para>Writing: <see cref="PushWrite(ReadOnlySpan{byte})"/> copies bytes in and sends;
/// or write straight into the buffer through <see cref="Writer"/> (an
/// <see cref="IBufferWriter{T}"/>, as encoders want) and then call <see cref="Commit"/>.
/// With <see cref="Autocork"/> the send waits for the end of the loop pass, so many
/// small writes leave in one system call.</para>
/// <para>After a fatal error (<see cref="OnError"/> with <c>fatal</c> true) the handle
/// is already destroyed: no callback follows. What was read and not yet consumed stays
/// in <see cref="ReadBuffer"/>, as AnyEvent's <c>on_error</c> still finds
/// <c>$handle-&gt;{rbuf}</c> filled, until it is consumed or <see cref="Dispose"/> is
/// called. Without an <see cref="OnError"/> a fatal
/// error is thrown as an <see cref="IOException"/> out of the loop, as AnyEvent
/// croaks, so it is never lost.</para>
/// <para>Like the loop it runs on, a handle is used on the loop's thread only: its
/// methods and the setters that act (<see cref="OnDrain"/>, the timeouts) throw
/// <see cref="InvalidOperationException"/> elsewhere (see <see cref="Loop.VerifyAccess"/>).</para>
/// </remarks>
public sealed class Handle : IDisposable
{
    private const int ReadBurst = 16;

    private readonly Loop _loop;
    private readonly ITransport _transport;
    private readonly ByteBuffer _rbuf;
    private readonly ByteBuffer _wbuf;
    private readonly Action _onReadable;
    private readonly Action _onWritable;
    private readonly Action _corkedFlush;
    private readonly int _readSize;
    private State _state;
    private TimerWatcher? _connectTimer;
    private TimerWatcher? _rtimer;
    private TimerWatcher? _wtimer;
    private TimerWatcher? _lingerTimer;
    private double _rtimeout;
    private double _wtimeout;
    private double _lastRead;
    private double _lastWrite;
    private bool _writeWatching;
    private bool _flushQueued;
    private bool _readStopped;
    private Action<Handle>? _onDrain;
    private long _bytesWritten;
    private long _ciphertextSent;

    /// <summary>Connects to <see cref="HandleOptions.Host"/>:<see cref="HandleOptions.Port"/> (AnyEvent's <c>connect =&gt; [$host, $port]</c>).</summary>
    public Handle(Loop loop, HandleOptions options)
        : this(loop, options, transport: null)
    {
    }

    /// <summary>A handle over a transport that is already connected, such as a <see cref="SocketTransport"/> over an accepted socket.</summary>
    public Handle(Loop loop, ITransport connected, HandleOptions options)
        : this(loop, options, connected ?? throw new ArgumentNullException(nameof(connected)))
    {
    }

    private Handle(Loop loop, HandleOptions options, ITransport? transport)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(options);
        var url = transport is null ? options.Url : null;
        if (url is not null && !WebSocketTransport.IsWebSocketUrl(url))
        {
            throw new ArgumentException(LoopErrors.WebSocketUrlScheme(url.OriginalString), nameof(options));
        }

        if (url is not null && (options.Tls == TlsMode.Accept || (options.Tls == TlsMode.Connect && url.Scheme != Uri.UriSchemeWss)))
        {
            throw new ArgumentException(LoopErrors.WebSocketTlsMode(url.OriginalString), nameof(options));
        }

        if (transport is null && url is null && string.IsNullOrEmpty(options.Host))
        {
            throw LoopErrors.HostRequired(nameof(options));
        }

        if (transport is null && url is null && (options.Port <= 0 || options.Port > 65535))
        {
            throw LoopErrors.PortOutOfRange(nameof(options), options.Port);
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ReadSize);
        _loop = loop;
        Host = url?.Host ?? options.Host ?? string.Empty;
        Port = url?.Port ?? options.Port;
        OnConnect = options.OnConnect;
        OnConnectError = options.OnConnectError;
        OnError = options.OnError;
        OnRead = options.OnRead;
        OnEof = options.OnEof;
        _onDrain = options.OnDrain;
        OnRTimeout = options.OnRTimeout;
        OnWTimeout = options.OnWTimeout;
        _rtimeout = options.RTimeout;
        _wtimeout = options.WTimeout;
        Autocork = options.Autocork;
        NoDelay = options.NoDelay;
        KeepAlive = options.KeepAlive;
        Linger = options.Linger;
        RbufMax = options.RbufMax;
        WbufMax = options.WbufMax;
        _readSize = options.ReadSize;
        _rbuf = new ByteBuffer(_readSize);
        _wbuf = new ByteBuffer(4096);
        _onReadable = HandleReadable;
        _onWritable = Flush;
        _corkedFlush = () =>
        {
            _flushQueued = false;
            Flush();
        };

        if (transport is not null && options.Tls == TlsMode.None)
        {
            _transport = transport;
            Connected();
        }
        else if (transport is not null)
        {
            // tls => 'accept' (or 'connect') over a connected stream: "connected" once the handshake is over.
            _transport = new TlsTransport(loop, transport, options.Tls, options.TlsCtx, options.Peername, innerConnected: true);
            StartConnect(options.OnPrepare);
        }
        else if (url is not null)
        {
            _transport = new WebSocketTransport(loop, url, options.WebSocket, options.TlsCtx, options.Peername);
            StartConnect(options.OnPrepare);
        }
        else
        {
            var inner = options.Transport?.Invoke(loop) ?? new SocketTransport(loop);
            _transport = options.Tls == TlsMode.None ? inner : new TlsTransport(loop, inner, options.Tls, options.TlsCtx, options.Peername);
            StartConnect(options.OnPrepare);
        }
    }

    private enum State
    {
        Connecting,
        Connected,
        Lingering,
        Destroyed,
    }

    /// <summary>The host given to connect to (empty for a handle over a given transport).</summary>
    public string Host { get; }

    /// <summary>The port given to connect to.</summary>
    public int Port { get; }

    /// <summary>
    /// Why the peer ended the stream, when its transport says more than an end-of-file: a
    /// WebSocket close frame's status and reason (<see cref="WebSocketTransport.EndReason"/>).
    /// Null over TCP and TLS. Read it in <see cref="OnEof"/>.
    /// </summary>
    public string? EndReason => (_transport as WebSocketTransport)?.EndReason;

    /// <summary>True once connected and until destroyed.</summary>
    public bool IsConnected => _state == State.Connected;

    /// <summary>True once destroyed, by <see cref="Dispose"/> or by a fatal error.</summary>
    public bool IsDestroyed => _state is State.Destroyed or State.Lingering;

    /// <summary><c>on_connect</c>: the handle, host and port.</summary>
    public Action<Handle, string, int>? OnConnect { get; set; }

    /// <summary><c>on_connect_error</c>: the handle and the reason.</summary>
    public Action<Handle, string>? OnConnectError { get; set; }

    /// <summary><c>on_error</c>: the handle, whether fatal, and the message.</summary>
    public Action<Handle, bool, string>? OnError { get; set; }

    /// <summary><c>on_read</c>: called after data was added to <see cref="ReadBuffer"/>.</summary>
    public Action<Handle>? OnRead { get; set; }

    /// <summary><c>on_eof</c>.</summary>
    public Action<Handle>? OnEof { get; set; }

    /// <summary><c>on_rtimeout</c>.</summary>
    public Action<Handle>? OnRTimeout { get; set; }

    /// <summary><c>on_wtimeout</c>.</summary>
    public Action<Handle>? OnWTimeout { get; set; }

    /// <summary><c>on_drain</c>: called when the write buffer becomes empty; setting it while the buffer is empty calls it at once, as AnyEvent does.</summary>
    public Action<Handle>? OnDrain
    {
        get => _onDrain;
        set
        {
            _loop.VerifyAccess();
            _onDrain = value;
            if (value is not null && _state == State.Connected && _wbuf.Length == 0)
            {
                value(this);
            }
        }
    }

    /// <summary><c>autocork</c>: send at the end of the loop pass rather than at once.</summary>
    public bool Autocork { get; set; }

    /// <summary><c>no_delay</c>, applied when connected.</summary>
    public bool NoDelay { get; }

    /// <summary><c>keepalive</c>, applied when connected.</summary>
    public bool KeepAlive { get; }

    /// <summary><c>linger</c>: seconds a disposed handle keeps flushing its write buffer.</summary>
    public double Linger { get; set; }

    /// <summary><c>rbuf_max</c>; 0 for no limit.</summary>
    public int RbufMax { get; set; }

    /// <summary><c>wbuf_max</c>; 0 for no limit.</summary>
    public int WbufMax { get; set; }

    /// <summary>
    /// The bytes read and not yet consumed (<c>$handle-&gt;{rbuf}</c>). Valid until the next
    /// call that changes the buffer. A fatal error leaves it filled (see the remarks).
    /// </summary>
    public ReadOnlySpan<byte> ReadBuffer => _rbuf.Span;

    /// <summary>How many bytes wait in the write buffer (<c>length $handle-&gt;{wbuf}</c>): the backpressure gauge.</summary>
    public int WriteBufferLength => _wbuf.Length;

    /// <summary>Bytes handed to the transport since the handle was created.</summary>
    public long BytesWritten => _bytesWritten;

    /// <summary>
    /// Bytes committed for writing since the handle was created: <see cref="BytesWritten"/>
    /// plus what still waits. Note this value after a write and compare it with
    /// <see cref="BytesWritten"/> in <see cref="OnWritten"/> to learn when that write has
    /// left for the socket.
    /// </summary>
    public long BytesQueued => _bytesWritten + _wbuf.Length;

    /// <summary>Called after every flush that handed bytes to the transport (not in AnyEvent::Handle; the client uses it to confirm writes).</summary>
    public Action<Handle>? OnWritten { get; set; }

    /// <summary>
    /// Writes go straight into the write buffer through this; call <see cref="Commit"/>
    /// when a message is complete. Once the handle is destroyed it throws
    /// <see cref="ObjectDisposedException"/> rather than buffer what can never leave.
    /// </summary>
    public IBufferWriter<byte> Writer => _wbuf;

    /// <summary><c>rtimeout</c> in seconds; setting it restarts the count.</summary>
    public double RTimeout
    {
        get => _rtimeout;
        set
        {
            _loop.VerifyAccess();
            _rtimeout = value;
            _lastRead = _loop.NowMonotonic;
            ArmReadTimer();
        }
    }

    /// <summary>
    /// Seconds the read timeout has counted so far, on the time cached for this loop pass
    /// (<see cref="Loop.Now"/>'s pass): since the last bytes read, or since the last restart
    /// of the count (setting <see cref="RTimeout"/>, <see cref="RTimeoutReset"/>,
    /// <see cref="StartRead"/>). Not in AnyEvent::Handle, which keeps it to itself; a health
    /// check reads it to tell a quiet peer from a fresh one before the timeout fires.
    /// </summary>
    public double ReadIdle => Math.Max(0, _loop.NowMonotonic - _lastRead);

    /// <summary><c>wtimeout</c> in seconds; setting it restarts the count.</summary>
    public double WTimeout
    {
        get => _wtimeout;
        set
        {
            _loop.VerifyAccess();
            _wtimeout = value;
            _lastWrite = _loop.NowMonotonic;
            ArmWriteTimer();
        }
    }

    /// <summary>Removes <paramref name="count"/> bytes from the front of <see cref="ReadBuffer"/>.</summary>
    public void Consume(int count)
    {
        _loop.VerifyAccess();

        // A destroyed handle may still hold what it read before a fatal error; once that
        // is gone, consuming is a no-op as every other call on a destroyed handle is.
        if (!IsDestroyed || _rbuf.Length > 0)
        {
            _rbuf.Consume(count);
        }
    }

    /// <summary>Queues bytes for writing (<c>push_write</c>).</summary>
    public void PushWrite(ReadOnlySpan<byte> bytes)
    {
        _loop.VerifyAccess();
        if (IsDestroyed)
        {
            return;
        }

        _wbuf.Write(bytes);
        Commit();
    }

    /// <summary>Queues text for writing, encoded as UTF-8 (<c>push_write</c> of a string).</summary>
    public void PushWrite(string text)
    {
        _loop.VerifyAccess();
        ArgumentNullException.ThrowIfNull(text);
        if (IsDestroyed)
        {
            return;
        }

        var span = _wbuf.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _wbuf.Advance(Encoding.UTF8.GetBytes(text, span));
        Commit();
    }

    /// <summary>
    /// Sends what was written through <see cref="Writer"/>: at once, or at the end of
    /// the pass with <see cref="Autocork"/>. Before the connection is up, data waits and
    /// leaves once connected.
    /// </summary>
    public void Commit()
    {
        _loop.VerifyAccess();
        if (_state != State.Connected || _wbuf.Length == 0)
        {
            return;
        }

        if (WbufMax > 0 && _wbuf.Length > WbufMax)
        {
            Fatal(LoopErrors.WriteBufferOverflow(_wbuf.Length, WbufMax));
            return;
        }

        if (_writeWatching || _flushQueued)
        {
            return;
        }

        if (Autocork)
        {
            _flushQueued = true;
            _loop.Postpone(_corkedFlush);
        }
        else
        {
            Flush();
        }
    }

    /// <summary>
    /// Takes back what was written through <see cref="Writer"/> since
    /// <see cref="BytesQueued"/> was <paramref name="bytesQueued"/>, before it is committed:
    /// an encoder that fails halfway through a message leaves no half of it behind.
    /// </summary>
    public void Rollback(long bytesQueued)
    {
        _loop.VerifyAccess();
        if (IsDestroyed)
        {
            return;
        }

        var keep = bytesQueued - _bytesWritten;
        if (keep < 0 || keep > _wbuf.Length)
        {
            throw LoopErrors.NotAnUncommittedPosition(nameof(bytesQueued), bytesQueued);
        }

        _wbuf.Truncate((int)keep);
    }

    /// <summary>True between <see cref="StopRead"/> and <see cref="StartRead"/>.</summary>
    public bool IsReadStopped => _readStopped;

    /// <summary>
    /// Stops reading (<c>$handle-&gt;stop_read</c>): the socket is no longer watched, so
    /// what the peer sends waits in the kernel and, once its buffers fill, holds the peer
    /// back. Writing goes on. Unlike AnyEvent, the read timeout stops too: the time spent
    /// stopped is the reader's choice, not the peer's silence, so it is not counted.
    /// </summary>
    public void StopRead()
    {
        _loop.VerifyAccess();
        if (_readStopped)
        {
            return;
        }

        _readStopped = true;
        if (_state == State.Connected)
        {
            _transport.WatchRead(null);
            _rtimer?.Dispose();
            _rtimer = null;
        }
    }

    /// <summary>
    /// Reads again after <see cref="StopRead"/> (<c>$handle-&gt;start_read</c>); the read
    /// timeout counts afresh from now.
    /// </summary>
    public void StartRead()
    {
        _loop.VerifyAccess();
        if (!_readStopped)
        {
            return;
        }

        _readStopped = false;
        if (_state == State.Connected)
        {
            _lastRead = _loop.NowMonotonic;
            _transport.WatchRead(_onReadable);
            ArmReadTimer();
        }
    }

    /// <summary>Restarts the read timeout's count (<c>rtimeout_reset</c>).</summary>
    public void RTimeoutReset()
    {
        _loop.VerifyAccess();
        _lastRead = _loop.NowMonotonic;
    }

    /// <summary>Restarts the write timeout's count (<c>wtimeout_reset</c>).</summary>
    public void WTimeoutReset()
    {
        _loop.VerifyAccess();
        _lastWrite = _loop.NowMonotonic;
    }

    /// <summary>Restarts both counts (<c>timeout_reset</c>).</summary>
    public void TimeoutReset()
    {
        _loop.VerifyAccess();
        RTimeoutReset();
        WTimeoutReset();
    }

    /// <summary>
    /// Destroys the handle (<c>$handle-&gt;destroy</c>): no callback is called any more.
    /// Data still in the write buffer keeps being sent, silently, for up to
    /// <see cref="Linger"/> seconds, as AnyEvent does; then the connection closes.
    /// After a fatal error it lets go of the bytes left in <see cref="ReadBuffer"/>.
    /// </summary>
    public void Dispose()
    {
        _loop.VerifyAccess();
        if (IsDestroyed)
        {
            _rbuf.Dispose();
            return;
        }

        if (_state == State.Connected && _wbuf.Length > 0 && Linger > 0)
        {
            StartLingering();
            return;
        }

        Destroy();
    }

    private void StartConnect(Func<Handle, double>? onPrepare)
    {
        _state = State.Connecting;
        var timeout = onPrepare?.Invoke(this) ?? 0;
        if (timeout > 0)
        {
            _connectTimer = _loop.Timer(timeout, 0, () => ConnectFailed(LoopErrors.ConnectionTimedOut()));
        }

        _transport.Connect(Host, Port, error =>
        {
            if (_state != State.Connecting)
            {
                return;
            }

            if (error is null)
            {
                Connected();
            }
            else
            {
                ConnectFailed(error);
            }
        });
    }

    private void ConnectFailed(string reason)
    {
        if (_state != State.Connecting)
        {
            return;
        }

        Destroy();
        if (OnConnectError is { } onConnectError)
        {
            onConnectError(this, reason);
        }
        else
        {
            ReportFatal(reason);
        }
    }

    private void Connected()
    {
        _connectTimer?.Dispose();
        _connectTimer = null;
        _state = State.Connected;
        _transport.Configure(NoDelay, KeepAlive);
        _lastRead = _lastWrite = _loop.NowMonotonic;
        if (!_readStopped)
        {
            _transport.WatchRead(_onReadable);
        }

        ArmReadTimer();
        ArmWriteTimer();
        try
        {
            OnConnect?.Invoke(this, Host, Port);
        }
        catch
        {
            // What was written before the connect must still leave, after the exception
            // rather than in its way.
            _loop.Postpone(Commit);
            throw;
        }

        Commit();
    }

    private void HandleReadable()
    {
        for (var burst = 0; burst < ReadBurst && _state == State.Connected && !_readStopped; burst++)
        {
            if (RbufMax > 0 && _rbuf.Length >= RbufMax)
            {
                Fatal(LoopErrors.ReadBufferOverflow(_rbuf.Length, RbufMax));
                return;
            }

            _rbuf.Reserve(_readSize);
            var free = _rbuf.Array.Length - _rbuf.End;
            int n;
            try
            {
                n = _transport.Receive(_rbuf.Array, _rbuf.End, free);
            }
            catch (Exception e)
            {
                // Any type: ITransport is public, and a transport of one's own may throw what it likes.
                Fatal(e.Message);
                return;
            }

            if (n < 0)
            {
                return;
            }

            if (n == 0)
            {
                EndOfFile();
                return;
            }

            _rbuf.Advance(n);
            _lastRead = _loop.NowMonotonic;
            OnRead?.Invoke(this);
            if (n < free)
            {
                return;
            }
        }
    }

    private void EndOfFile()
    {
        _transport.WatchRead(null);
        if (OnEof is { } onEof)
        {
            onEof(this);
        }
        else
        {
            Fatal(LoopErrors.UnexpectedEndOfFile());
        }
    }

    private void Flush()
    {
        if (_state is State.Destroyed or State.Connecting)
        {
            return;
        }

        // Not woken by writability, so nothing was waiting before this write: the write
        // timeout counts from now, not from the last send, which may be long past.
        if (!_writeWatching)
        {
            _lastWrite = _loop.NowMonotonic;
        }

        var before = _bytesWritten;
        while (_wbuf.Length > 0)
        {
            int n;
            try
            {
                n = _transport.Send(_wbuf.Array, _wbuf.Start, _wbuf.Length);
            }
            catch (Exception e)
            {
                if (_state == State.Lingering)
                {
                    Destroy();
                }
                else
                {
                    Fatal(e.Message);
                }

                return;
            }

            if (n <= 0)
            {
                // Over TLS part of a record may have left though no plaintext counts as
                // sent yet: progress all the same, as a partial send is over TCP (and as
                // AnyEvent::Handle, which writes the ciphertext itself, counts it).
                if (_transport is TlsTransport tls && tls.CiphertextSent != _ciphertextSent)
                {
                    _ciphertextSent = tls.CiphertextSent;
                    _lastWrite = _loop.NowMonotonic;
                }

                if (!_writeWatching)
                {
                    _writeWatching = true;
                    _transport.WatchWrite(_onWritable);
                }

                if (_state == State.Connected && _bytesWritten != before)
                {
                    OnWritten?.Invoke(this);
                }

                return;
            }

            _wbuf.Consume(n);
            _bytesWritten += n;
            _lastWrite = _loop.NowMonotonic;
        }

        if (_writeWatching)
        {
            _writeWatching = false;
            _transport.WatchWrite(null);
        }

        if (_state == State.Lingering)
        {
            Destroy();
            return;
        }

        if (_bytesWritten != before)
        {
            OnWritten?.Invoke(this);
        }

        if (_state == State.Connected && _wbuf.Length == 0)
        {
            _onDrain?.Invoke(this);
        }
    }

    private void ArmReadTimer()
    {
        _rtimer?.Dispose();
        _rtimer = _state == State.Connected && !_readStopped && _rtimeout > 0 ? _loop.Timer(_rtimeout, 0, CheckReadTimeout) : null;
    }

    private void ArmWriteTimer()
    {
        _wtimer?.Dispose();
        _wtimer = _state == State.Connected && _wtimeout > 0 ? _loop.Timer(_wtimeout, 0, CheckWriteTimeout) : null;
    }

    private void CheckReadTimeout() => CheckTimeout(ref _lastRead, _rtimeout, _rtimer!, OnRTimeout);

    private void CheckWriteTimeout()
    {
        // Only time spent with data waiting counts against the write timeout.
        if (_wbuf.Length == 0)
        {
            _lastWrite = _loop.NowMonotonic;
        }

        CheckTimeout(ref _lastWrite, _wtimeout, _wtimer!, OnWTimeout);
    }

    // One timer per direction, re-armed for the time still left since the last
    // activity, instead of a new timer on every read or write.
    private void CheckTimeout(ref double lastActivity, double timeout, TimerWatcher timer, Action<Handle>? onTimeout)
    {
        var idle = _loop.NowMonotonic - lastActivity;
        if (idle < timeout)
        {
            timer.Restart(timeout - idle);
            return;
        }

        lastActivity = _loop.NowMonotonic;
        timer.Restart(timeout);
        if (onTimeout is not null)
        {
            onTimeout(this);
        }
        else
        {
            Fatal(LoopErrors.ConnectionTimedOut());
        }
    }

    /// <summary>
    /// Destroys the handle, then reports. The read buffer outlives the rest: bytes read
    /// before the error were taken off the socket and no readiness will bring them again,
    /// so the owner must still be able to read them, in on_error or after it.
    /// </summary>
    private void Fatal(string message)
    {
        if (IsDestroyed)
        {
            return;
        }

        Destroy(keepReadBuffer: true);
        ReportFatal(message);
    }

    private void ReportFatal(string message)
    {
        if (OnError is { } onError)
        {
            onError(this, true, message);
        }
        else
        {
            throw new IOException(message);
        }
    }

    private void StartLingering()
    {
        _state = State.Lingering;
        StopTimers();
        _transport.WatchRead(null);
        _lingerTimer = _loop.Timer(Linger, 0, Destroy);
        if (!_writeWatching && !_flushQueued)
        {
            _writeWatching = true;
            _transport.WatchWrite(_onWritable);
        }
    }

    private void StopTimers()
    {
        _connectTimer?.Dispose();
        _rtimer?.Dispose();
        _wtimer?.Dispose();
        _lingerTimer?.Dispose();
        _connectTimer = _rtimer = _wtimer = _lingerTimer = null;
    }

    private void Destroy() => Destroy(keepReadBuffer: false);

    private void Destroy(bool keepReadBuffer)
    {
        if (_state == State.Destroyed)
        {
            return;
        }

        _state = State.Destroyed;
        StopTimers();
        _transport.Dispose();
        if (!keepReadBuffer)
        {
            _rbuf.Dispose();
        }

        _wbuf.Dispose();
    }
}
