using System.Net.Security;
using System.Security.Authentication;

namespace EventLoop;

/// <summary>
/// TLS over another <see cref="ITransport"/> (AnyEvent::Handle's <c>tls</c>): the handshake
/// runs inside <see cref="Connect"/>, and encryption and decryption happen on the loop
/// thread as the loop reads and writes, with no hop to the thread pool. The inner
/// transport stays the seam for mocks, so TLS runs over an in-memory transport in tests.
/// </summary>
/// <remarks>
/// <para>Inside is an <see cref="SslStream"/> over a stream that never blocks: its reads
/// wait for ciphertext the loop has read (and are completed inline), its writes land in a
/// buffer flushed to the inner transport without blocking.</para>
/// <para>Backpressure: <see cref="Send"/> encrypts only when the previous ciphertext has
/// left, and reports bytes as sent only once their ciphertext has left for the socket, so
/// the handle's write buffer, <c>wbuf_max</c>, write timeouts and write confirmations
/// behave as over TCP.</para>
/// </remarks>
public sealed class TlsTransport : ITransport
{
    /// <summary>At most this much plaintext is encrypted per send: four full TLS records.</summary>
    private const int MaxChunk = 4 * 16 * 1024;

    /// <summary>Plaintext of one TLS record at most.</summary>
    private const int PlainSize = 16 * 1024;

    /// <summary>Ciphertext read per system call: several records, as a plaintext read takes 64 KiB.</summary>
    private const int InboundSize = 64 * 1024;

    private readonly Loop _loop;
    private readonly ITransport _inner;
    private readonly TlsMode _mode;
    private readonly TlsContext _context;
    private readonly string? _peername;
    private readonly bool _innerConnected;
    private readonly CiphertextStream _stream;
    private readonly byte[] _plain;
    private readonly Action _onInnerReadable;
    private readonly Action _onInnerWritable;
    private readonly Action _refire;
    private readonly LoadedCertificates _certificates = new();
    private SslStream? _ssl;
    private TlsVerifier? _verifier;
    private Task? _handshake;
    private Action<string?>? _connected;
    private ValueTask<int> _sslRead;
    private bool _sslReading;
    private int _plainStart;
    private int _plainEnd;
    private int _credit;
    private bool _established;
    private bool _closed;
    private bool _truncated;
    private bool _closeNotifySent;
    private bool _mayHaveMore;
    private bool _innerDrained;
    private bool _refireQueued;
    private bool _watchingWrite;
    private Action? _onReadable;
    private Action? _onWritable;
    private Exception? _writeFailure;
    private bool _disposed;

    /// <summary>
    /// TLS over <paramref name="inner"/>. With <paramref name="innerConnected"/> the inner
    /// transport is already connected (an accepted socket, say) and <see cref="Connect"/>
    /// only runs the handshake.
    /// </summary>
    /// <param name="loop">The loop everything runs on.</param>
    /// <param name="inner">The byte stream underneath, owned (and disposed) by this transport from now on.</param>
    /// <param name="mode"><see cref="TlsMode.Connect"/> or <see cref="TlsMode.Accept"/>.</param>
    /// <param name="context">The <c>tls_ctx</c>; null for the defaults.</param>
    /// <param name="peername">The name to check and send as SNI; null for the host given to <see cref="Connect"/>.</param>
    /// <param name="innerConnected">Whether <paramref name="inner"/> is connected already.</param>
    public TlsTransport(Loop loop, ITransport inner, TlsMode mode, TlsContext? context = null, string? peername = null, bool innerConnected = false)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(inner);
        if (mode is not (TlsMode.Connect or TlsMode.Accept))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, LoopErrors.TlsModeNeeded());
        }

        _loop = loop;
        _inner = inner;
        _mode = mode;
        _context = context ?? new TlsContext();
        _peername = peername;
        _innerConnected = innerConnected;
        _stream = new CiphertextStream(InboundSize);
        _plain = new byte[PlainSize];
        _onInnerReadable = InnerReadable;
        _onInnerWritable = InnerWritable;
        _refire = () =>
        {
            _refireQueued = false;
            if (_onReadable is not null && !_disposed)
            {
                InnerReadable();
            }
        };
    }

    /// <summary>The negotiated protocol, once the handshake is done.</summary>
    public SslProtocols? Protocol => _established ? _ssl!.SslProtocol : null;

    /// <summary>The managed thread on which SslStream last asked for ciphertext (for tests that check no hop happens).</summary>
    public int LastDecryptThreadId => _stream.LastReadThreadId;

    /// <summary>
    /// Ciphertext bytes handed to the inner transport so far. A record leaves a little at a
    /// time through a slow socket while <see cref="Send"/> reports nothing sent; the handle's
    /// write timeout counts this progress as it counts a partial send over TCP.
    /// </summary>
    internal long CiphertextSent { get; private set; }

    /// <summary>What this connection loaded from tls_ctx's files, disposed with it (for tests that check the release).</summary>
    internal LoadedCertificates LoadedCertificates => _certificates;

    /// <summary>The SslStream, once the handshake has started: the peer's certificate, the cipher, the protocol.</summary>
    public SslStream? SslStream => _ssl;

    /// <summary>Connects the inner transport (unless connected already), then runs the handshake; <paramref name="completed"/> hears of both as one.</summary>
    public void Connect(string host, int port, Action<string?> completed)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(completed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connected = completed;
        var peername = string.IsNullOrEmpty(_peername) ? host : _peername;
        if (_innerConnected)
        {
            // Never from inside Connect, as ITransport promises: the peer's bytes may settle
            // the handshake at once (garbage, or an end-of-file, already waiting), and a
            // handle still in its constructor would hear of it before its owner holds it.
            _loop.Postpone(() =>
            {
                if (!_disposed)
                {
                    StartHandshake(peername);
                }
            });
            return;
        }

        _inner.Connect(host, port, error =>
        {
            if (error is null)
            {
                StartHandshake(peername);
            }
            else
            {
                Report(error);
            }
        });
    }

    /// <inheritdoc/>
    public void WatchRead(Action? onReadable)
    {
        _onReadable = onReadable;
        if (!_established)
        {
            return;
        }

        _inner.WatchRead(onReadable is null ? null : _onInnerReadable);
        if (onReadable is not null && _mayHaveMore)
        {
            QueueRefire();
        }
    }

    /// <inheritdoc/>
    public void WatchWrite(Action? onWritable)
    {
        _onWritable = onWritable;
        UpdateWriteWatch();
    }

    /// <summary>Decrypts what is at hand into <paramref name="buffer"/>, reading ciphertext from the inner transport while it has some.</summary>
    public int Receive(byte[] buffer, int offset, int count)
    {
        ThrowIfNotEstablished();
        var total = 0;
        while (total < count && !_closed)
        {
            if (_plainEnd > _plainStart)
            {
                var n = Math.Min(count - total, _plainEnd - _plainStart);
                _plain.AsSpan(_plainStart, n).CopyTo(buffer.AsSpan(offset + total, n));
                _plainStart += n;
                total += n;
                continue;
            }

            if (!_sslReading)
            {
                // Between records SslStream holds no ciphertext (the stream hands it one record
                // at a time): read the socket first, so that SslStream decrypts at once rather
                // than waiting for ciphertext and resuming later.
                if (_stream.Framed && !_stream.HasInbound && !_stream.ReachedEof && ((total > 0 && _innerDrained) || !PullInbound()))
                {
                    break;
                }

                StartRead();
            }

            if (!_sslRead.IsCompleted)
            {
                // A short read from the socket drained it: asking again would only cost a
                // system call that finds nothing (the watcher calls again if more came).
                if ((total > 0 && _innerDrained) || !PullCiphertext())
                {
                    break;
                }

                continue;
            }

            _sslReading = false;
            _plainStart = 0;
            _plainEnd = TakeRead();
            if (_plainEnd == 0)
            {
                // SslStream reports a close_notify and a bare end-of-file alike; only a
                // close_notify proves that nothing was cut off.
                _closed = true;
                _truncated = _stream.ReachedEof;
            }
        }

        FlushQuietly();

        // Open: the handle's buffer filled, so more may wait decrypted. Closed with data
        // returned: the end (or the truncation) is still to be reported, and a close_notify
        // from a peer that keeps the connection open brings no readiness that would report it.
        _mayHaveMore = _closed ? total > 0 : total == count;
        if (total > 0)
        {
            return total;
        }

        if (_truncated)
        {
            throw new IOException(LoopErrors.TlsClosedWithoutCloseNotify());
        }

        return _closed ? 0 : -1;
    }

    /// <summary>Encrypts from <paramref name="buffer"/> and writes the ciphertext; counts bytes only once their ciphertext has left.</summary>
    public int Send(byte[] buffer, int offset, int count)
    {
        ThrowIfNotEstablished();
        if (_writeFailure is { } failure)
        {
            throw new IOException(failure.Message, failure);
        }

        FlushOutbound();
        if (_stream.Outbound.Length > 0)
        {
            return 0;
        }

        if (_credit > 0)
        {
            var sent = _credit;
            _credit = 0;
            return sent;
        }

        var chunk = Math.Min(count, MaxChunk);
        try
        {
            _ssl!.Write(buffer, offset, chunk);
        }
#pragma warning disable CA1031 // Whatever SslStream throws fails the stream: the handle hears it as an I/O error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new IOException(LoopErrors.TlsFailed(Describe(e)), e);
        }

        FlushOutbound();
        if (_stream.Outbound.Length > 0)
        {
            // Encrypted but not gone: reported as sent when the rest of its ciphertext leaves.
            _credit = chunk;
            return 0;
        }

        return chunk;
    }

    /// <inheritdoc/>
    public void Configure(bool noDelay, bool keepAlive) => _inner.Configure(noDelay, keepAlive);

    /// <summary>
    /// Sends a TLS close_notify now, without closing the connection (the first half of
    /// AnyEvent::Handle's <c>stoptls</c>): what the peer sends afterwards is still read, and
    /// nothing more can be sent. A server half-closing after its last frame sends it first.
    /// </summary>
    public void CloseNotify()
    {
        ThrowIfNotEstablished();
        if (_closeNotifySent || _closed || _writeFailure is not null)
        {
            return;
        }

        _closeNotifySent = true;
        try
        {
            // Completes at once: the ciphertext stream takes every write.
            _ssl!.ShutdownAsync().GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // Whatever failed, the next send reports it (and a Dispose closes anyway).
        catch (Exception e)
#pragma warning restore CA1031
        {
            _writeFailure = e;
            return;
        }

        FlushQuietly();
    }

    /// <summary>
    /// Sends a close_notify when it can leave without blocking, then closes the inner
    /// transport. A handshake still running is abandoned and never reports.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        if (_established && !_closed && _stream.Outbound.Length == 0)
        {
            // Closing anyway: a close_notify that cannot leave at once is not waited for.
            CloseNotify();
        }

        _disposed = true;
        _inner.WatchWrite(null);

        _inner.Dispose();
        _ssl?.Dispose();
        _stream.Dispose();

        // After the SslStream: its handshake (abandoned or not) is over with them.
        _certificates.Dispose();
    }

    private void StartHandshake(string peername)
    {
        try
        {
            _ssl = new SslStream(_stream, leaveInnerStreamOpen: true);
            if (_mode == TlsMode.Connect)
            {
                _verifier = new TlsVerifier(_context, peername, clientCertOptional: false);
                _handshake = _ssl.AuthenticateAsClientAsync(TlsOptions.Client(_context, peername, _verifier, _certificates));
            }
            else
            {
                _verifier = new TlsVerifier(_context, peername, clientCertOptional: !_context.VerifyRequireClientCert);
                _handshake = _ssl.AuthenticateAsServerAsync(TlsOptions.Server(_context, _verifier, _certificates));
            }
        }
#pragma warning disable CA1031 // tls_ctx's files and certificates, options SslStream refuses: whatever fails fails this connect.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Report(LoopErrors.TlsSetupFailed(Describe(e)));
            return;
        }

        _inner.WatchRead(_onInnerReadable);
        AdvanceHandshake();
    }

    /// <summary>Feeds the handshake what the socket has, sends what it wrote, and reports once it is over.</summary>
    private void AdvanceHandshake()
    {
        // After the outcome was reported (or the transport disposed, by a callback SslStream
        // ran inside the last pull) there is nothing to advance: the handle lets go of us.
        while (_connected is not null && !_disposed)
        {
            bool completed;
            var progressed = false;
            try
            {
                FlushOutbound();
                completed = _handshake!.IsCompleted;
                if (!completed)
                {
                    progressed = PullCiphertext();
                }
            }
#pragma warning disable CA1031 // Whatever the socket throws fails the connect: an exception let through would leave it unreported.
            catch (Exception e)
#pragma warning restore CA1031
            {
                FailHandshake(LoopErrors.TlsHandshakeFailed(Describe(e)));
                return;
            }

            if (completed)
            {
                FinishHandshake();
                return;
            }

            if (!progressed)
            {
                UpdateWriteWatch();
                return;
            }
        }
    }

    private void FinishHandshake()
    {
        _inner.WatchRead(null);
        try
        {
            // Cancelled fails too: an OperationCanceledException from a callback inside
            // SslStream (verify_cb, the certificate selection) ends the handshake cancelled
            // rather than faulted, and a check of its Exception alone would count a success.
            _handshake!.GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // The handshake's exception is its failure, whatever its type.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailHandshake(_verifier?.Rejection ?? LoopErrors.TlsHandshakeFailed(Describe(e)));
            return;
        }

        _established = true;
        // What came right after the peer's last handshake message may already sit in
        // SslStream's own buffer, where no socket readiness will ever announce it.
        _mayHaveMore = true;
        UpdateWriteWatch();
        Report(null);
    }

    /// <summary>Reports a failed handshake and stops watching a socket nobody will read again.</summary>
    private void FailHandshake(string error)
    {
        _inner.WatchRead(null);
        _inner.WatchWrite(null);
        _watchingWrite = false;
        Report(error);
    }

    private void Report(string? error)
    {
        var connected = _connected;
        _connected = null;
        if (!_disposed)
        {
            connected?.Invoke(error);
        }
    }

    /// <summary>Reads ciphertext for a waiting SslStream read; false when the inner transport has none now.</summary>
    private bool PullCiphertext() => _stream.IsReadPending && !_stream.ReachedEof && PullInbound();

    /// <summary>Reads ciphertext from the inner transport into the stream (for a read waiting, or about to be made); false when it has none now.</summary>
    private bool PullInbound()
    {
        var space = _stream.InboundSpace();
        int n;
        try
        {
            n = _inner.Receive(space.Array!, space.Offset, space.Count);
        }
        catch (Exception e) when (e is not (IOException or System.Net.Sockets.SocketException))
        {
            throw InnerFailure(e);
        }

        if (n < 0)
        {
            return false;
        }

        _innerDrained = n < space.Count;
        if (n == 0)
        {
            _stream.ReceivedEof();
        }
        else
        {
            _stream.Received(n);
        }

        return true;
    }

    private int TakeRead()
    {
        try
        {
            return _sslRead.GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // Whatever SslStream throws ends the stream: the handle hears it as an I/O error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw ReadFailed(e);
        }
    }

    /// <summary>Asks SslStream for the next plaintext; what it throws at once ends the stream as a failed read does.</summary>
    private void StartRead()
    {
        try
        {
            _sslRead = _ssl!.ReadAsync(_plain.AsMemory());
        }
#pragma warning disable CA1031 // As TakeRead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw ReadFailed(e);
        }

        _sslReading = true;
    }

    private IOException ReadFailed(Exception e)
    {
        _closed = true;
        return new IOException(LoopErrors.TlsFailed(Describe(e)), e);
    }

    /// <summary>
    /// A failure of the transport underneath of a type the handle does not take (it takes
    /// I/O and socket errors, which pass as they are, in the socket's own words as over TCP):
    /// the same words as an I/O error, so that the stream ends with them rather than the
    /// exception escaping into the loop.
    /// </summary>
    private static IOException InnerFailure(Exception e) => new(Describe(e), e);

    private void InnerReadable()
    {
        if (!_established)
        {
            AdvanceHandshake();
            return;
        }

        _onReadable?.Invoke();
        if (_mayHaveMore && _onReadable is not null)
        {
            // Decrypted bytes the handle did not take in this pass: the socket may not be
            // readable again, so call back as a level-triggered watcher would.
            QueueRefire();
        }
    }

    private void InnerWritable()
    {
        if (!_established)
        {
            AdvanceHandshake();
            return;
        }

        FlushQuietly();
        _onWritable?.Invoke();
        UpdateWriteWatch();
    }

    private void QueueRefire()
    {
        if (!_refireQueued)
        {
            _refireQueued = true;
            _loop.Postpone(_refire);
        }
    }

    private void UpdateWriteWatch()
    {
        // Ciphertext that failed to leave waits for the handle's next write to report the
        // failure: watching for it meanwhile would call back on every pass of a dead socket.
        var want = !_disposed && (_onWritable is not null || (_stream.Outbound.Length > 0 && _writeFailure is null));
        if (want != _watchingWrite)
        {
            _watchingWrite = want;
            _inner.WatchWrite(want ? _onInnerWritable : null);
        }
    }

    private void FlushOutbound()
    {
        var outbound = _stream.Outbound;
        while (outbound.Length > 0)
        {
            int n;
            try
            {
                n = _inner.Send(outbound.Array, outbound.Start, outbound.Length);
            }
            catch (Exception e) when (e is not (IOException or System.Net.Sockets.SocketException))
            {
                throw InnerFailure(e);
            }

            if (n <= 0)
            {
                return;
            }

            outbound.Consume(n);
            CiphertextSent += n;
        }
    }

    /// <summary>Flushes what SslStream wrote outside a send (a reply while reading); a failure waits for the next send to report it.</summary>
    private void FlushQuietly()
    {
        if (_stream.Outbound.Length == 0 || _writeFailure is not null)
        {
            return;
        }

        try
        {
            FlushOutbound();
        }
#pragma warning disable CA1031 // Kept for the next send to report, whatever it was.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _writeFailure = e;
        }

        UpdateWriteWatch();
    }

    private void ThrowIfNotEstablished()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_established)
        {
            throw new InvalidOperationException(LoopErrors.TlsNotEstablished());
        }
    }

    /// <summary>Every message down the exception's chain, for SslStream's wrap the OpenSSL reason in inner exceptions.</summary>
    internal static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            var message = current.Message.Trim();
            if (message.EndsWith("see inner exception.", StringComparison.OrdinalIgnoreCase) && current.InnerException is not null)
            {
                continue;
            }

            if (!parts.Contains(message))
            {
                parts.Add(message);
            }
        }

        return string.Join(": ", parts);
    }
}
