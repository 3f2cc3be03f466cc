using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EventLoop;

/// <summary>
/// A WebSocket (<c>ws://</c> or <c>wss://</c>) under a <see cref="Handle"/>, on .NET's
/// <see cref="ClientWebSocket"/>: the handle reads and writes the byte stream carried in the
/// WebSocket's messages, so a STOMP frame may span messages and one message may hold several.
/// </summary>
/// <remarks>
/// <para>ClientWebSocket runs on the runtime's threads; this transport keeps the loop
/// single-threaded around it. The upgrade runs on them and its outcome is posted to the loop.
/// One receiving task reads messages into a locked inbox and wakes the loop only when no
/// wake-up is pending, so a burst of messages costs one hand-over; it stops receiving while a
/// megabyte waits unread. Writes are gathered until the end of the loop pass and leave as one
/// binary message per pass (64 KiB at most each), sent from the loop thread, where the send
/// usually completes at once; one that does not hands its completion back with a post.</para>
/// <para>wss:// speaks TLS with the handle's <see cref="TlsContext"/> (<c>tls_ctx</c>) and
/// peer name, built and checked exactly as <see cref="TlsTransport"/> does (offline chain,
/// <c>ca_file</c> as the only roots, the same refusal texts), but by the runtime's TLS under
/// ClientWebSocket; <c>verify_cb</c> then runs on a runtime thread.</para>
/// <para>No WebSocket pings are sent (ClientWebSocket's keep-alive is off): STOMP heart-beats
/// are the liveness check, as over TCP. Pings from the server are answered.</para>
/// </remarks>
public sealed class WebSocketTransport : ITransport
{
    /// <summary>The largest message sent: a loop pass that gathered more sends several.</summary>
    private const int MaxMessage = 64 * 1024;

    /// <summary>Bytes received and not yet read by the handle, beyond which receiving pauses.</summary>
    private const int InboxLimit = 1024 * 1024;

    /// <summary>Bytes accepted from the handle and not yet sent, beyond which <see cref="Send"/> takes nothing.</summary>
    private const int OutboxLimit = 256 * 1024;

    /// <summary>How long Dispose's close (the last bytes and the close frame) may take before the connection is aborted.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly Loop _loop;
    private readonly Uri _url;
    private readonly WebSocketOptions _options;
    private readonly TlsContext _tls;
    private readonly string? _peername;
    private readonly IReadOnlyList<string> _subprotocols;
    private readonly CancellationTokenSource _cancel = new();
    private readonly CancellationToken _token;
    private readonly WebSocketInbox _inbox = new(InboxLimit);
    private readonly Action _onWake;
    private readonly Action _refire;
    private readonly Action _flush;
    private readonly LoadedCertificates _certificates = new();
    private ByteBuffer _outbox = new(MaxMessage);
    private ByteBuffer _inFlight = new(MaxMessage);
    private ClientWebSocket? _ws;
    private HttpMessageInvoker? _invoker;
    private Socket? _socket;
    private TlsVerifier? _verifier;
    private Action<string?>? _connected;
    private Action? _onReadable;
    private Action? _onWritable;
    private Task? _sendTask;
    private Exception? _writeFailure;
    private int _connects;
    private bool _sending;
    private bool _flushQueued;
    private bool _refireQueued;
    private bool _established;
    private bool _disposed;

    /// <summary>A WebSocket to <paramref name="url"/>, made when the handle connects.</summary>
    /// <param name="loop">The loop everything is handed to.</param>
    /// <param name="url">An absolute <c>ws://</c> or <c>wss://</c> URL: host, port, path and query of the upgrade request.</param>
    /// <param name="options">Subprotocols and headers; null offers no subprotocol and adds no header.</param>
    /// <param name="tls">For <c>wss://</c>, the <c>tls_ctx</c>; null for the defaults (the system's roots, the host name checked).</param>
    /// <param name="peername">For <c>wss://</c>, the name the certificate must carry; null for the URL's host.</param>
    public WebSocketTransport(Loop loop, Uri url, WebSocketOptions? options = null, TlsContext? tls = null, string? peername = null)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(url);
        if (!IsWebSocketUrl(url))
        {
            throw new ArgumentException(LoopErrors.WebSocketUrlScheme(url.OriginalString), nameof(url));
        }

        _loop = loop;
        _url = url;
        _options = options ?? new WebSocketOptions();
        _subprotocols = _options.Subprotocols ?? [];
        _tls = tls ?? new TlsContext();
        _peername = peername;
        // Taken once: the source is disposed on a runtime thread at the end of a close, when
        // reading its Token would throw.
        _token = _cancel.Token;
        _onWake = Woken;
        _refire = () =>
        {
            _refireQueued = false;
            Deliver();
        };
        _flush = () =>
        {
            _flushQueued = false;
            FlushOutbox();
        };
    }

    /// <summary>The subprotocol the server chose, once open (<c>v12.stomp</c>, say).</summary>
    public string? Subprotocol => _established ? _ws!.SubProtocol : null;

    /// <summary>
    /// Why the server ended the stream, once it did: a close frame's status and reason, or a
    /// connection that ended without one. The handle reports it with its end-of-file.
    /// </summary>
    public string? EndReason => _inbox.EndReason;

    /// <summary>Whether <paramref name="url"/> names a WebSocket endpoint: absolute, with the scheme <c>ws</c> or <c>wss</c>.</summary>
    public static bool IsWebSocketUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeWs || url.Scheme == Uri.UriSchemeWss);
    }

    /// <summary>
    /// Opens the WebSocket: TCP connect, TLS for <c>wss://</c>, then the HTTP upgrade. The
    /// host and port are the URL's (a handle passes the same); <paramref name="completed"/>
    /// hears of the whole as one, on the loop thread.
    /// </summary>
    public void Connect(string host, int port, Action<string?> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _connected = completed;
        var ws = new ClientWebSocket();
        _ws = ws;
        try
        {
            ws.Options.KeepAliveInterval = TimeSpan.Zero;
            ws.Options.CollectHttpResponseDetails = true;
            foreach (var subprotocol in _subprotocols)
            {
                ws.Options.AddSubProtocol(subprotocol);
            }

            SetHeaders(ws.Options, _options.Headers);
            SetHeaders(ws.Options, PrepareHeaders());
        }
#pragma warning disable CA1031 // Headers come from the user (a hook, a dictionary of theirs): whatever fails fails this connect.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailSoon(LoopErrors.WebSocketSetupFailed((e is HookException ? e.InnerException! : e).Message));
            return;
        }

        try
        {
            _invoker = new HttpMessageInvoker(MakeHandler(), disposeHandler: true);
        }
#pragma warning disable CA1031 // tls_ctx's files and certificates: whatever fails to load fails this connect.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailSoon(LoopErrors.TlsSetupFailed(TlsTransport.Describe(e)));
            return;
        }

        _ = ConnectAsync(ws, _invoker, _token);
    }

    /// <inheritdoc/>
    public void WatchRead(Action? onReadable)
    {
        _onReadable = onReadable;
        if (onReadable is not null && _established && _inbox.Ready)
        {
            QueueRefire();
        }
    }

    /// <inheritdoc/>
    public void WatchWrite(Action? onWritable)
    {
        _onWritable = onWritable;
        if (onWritable is not null && _established && (_outbox.Length < OutboxLimit || _writeFailure is not null))
        {
            // Level-triggered, as a socket watcher: there is room now.
            _loop.Postpone(() =>
            {
                if (!_disposed && _onWritable is { } writable)
                {
                    writable();
                }
            });
        }
    }

    /// <summary>Takes what the receiving task left: the count, 0 at the end of the stream, -1 when nothing waits now.</summary>
    public int Receive(byte[] buffer, int offset, int count)
    {
        ThrowIfNotOpen();
        return _inbox.Take(buffer.AsSpan(offset, count));
    }

    /// <summary>Accepts bytes for the message this loop pass sends; 0 while 256 KiB wait to be sent. Throws once a send failed.</summary>
    public int Send(byte[] buffer, int offset, int count)
    {
        ThrowIfNotOpen();
        if (_writeFailure is { } failure)
        {
            throw new IOException(LoopErrors.WebSocketFailed(TlsTransport.Describe(failure)), failure);
        }

        var n = Math.Min(count, OutboxLimit - _outbox.Length);
        if (n <= 0)
        {
            return 0;
        }

        _outbox.Write(buffer.AsSpan(offset, n));
        if (!_flushQueued && !_sending)
        {
            _flushQueued = true;
            _loop.Postpone(_flush);
        }

        return n;
    }

    /// <inheritdoc/>
    public void Configure(bool noDelay, bool keepAlive)
    {
        if (_socket is { } socket)
        {
            SocketTransport.Configure(socket, noDelay, keepAlive);
        }
    }

    /// <summary>
    /// Sends what was accepted and not yet sent, then a close frame (1000, normal closure),
    /// on the runtime's threads, without the loop waiting; an upgrade still running is
    /// abandoned and never reports.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _onReadable = null;
        _onWritable = null;
        if (_established && _writeFailure is null)
        {
            _ = CloseAsync(_ws!, _sendTask, _outbox, _inFlight);
            return;
        }

        Release(_ws, _outbox, _inFlight);
    }

    /// <summary>Never from inside Connect: the handle making this transport does not hold it yet.</summary>
    private void FailSoon(string reason) => _loop.Postpone(() => Report(reason));

    private IReadOnlyDictionary<string, string>? PrepareHeaders()
    {
        try
        {
            return _options.OnPrepareHeaders?.Invoke(_url);
        }
#pragma warning disable CA1031 // The user's hook may throw anything; it fails this connect, as a refused connect would.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new HookException(e);
        }
    }

    private static void SetHeaders(ClientWebSocketOptions options, IReadOnlyDictionary<string, string>? headers)
    {
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            options.SetRequestHeader(name, value);
        }
    }

    private SocketsHttpHandler MakeHandler()
    {
        var handler = new SocketsHttpHandler
        {
            // The connect of a handle goes where it names, as over TCP: an HTTP proxy from
            // the environment would be a surprise under a STOMP client.
            UseProxy = false,

            // Nor is a redirect followed: it would be a second connection, to another server,
            // and the one connection an upgrade is (ConnectSocketAsync) would refuse it as a
            // server that hung up. The 3xx is reported as the server's answer instead.
            AllowAutoRedirect = false,
            ConnectCallback = ConnectSocketAsync,
        };
        if (_url.Scheme == Uri.UriSchemeWss)
        {
            var peername = string.IsNullOrEmpty(_peername) ? _url.IdnHost : _peername;
            _verifier = new TlsVerifier(_tls, peername, clientCertOptional: false);
            var ssl = TlsOptions.Client(_tls, peername, _verifier, _certificates);
            if (!string.Equals(peername, _url.IdnHost, StringComparison.OrdinalIgnoreCase))
            {
                // The HTTP stack names the URL's host to TLS whatever TargetHost says: check
                // the peer name here instead, as tls_ctx's peername asks.
                var check = ssl.RemoteCertificateValidationCallback!;
                ssl.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    check(sender, certificate, chain, RenameCheck(errors, certificate, peername));
            }

            handler.SslOptions = ssl;
        }

        return handler;
    }

    private static SslPolicyErrors RenameCheck(SslPolicyErrors errors, X509Certificate? certificate, string peername)
    {
        errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        if (certificate is null)
        {
            return errors;
        }

        using var loaded = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var matches = (loaded ?? (X509Certificate2)certificate).MatchesHostname(peername);
        return matches ? errors : errors | SslPolicyErrors.RemoteCertificateNameMismatch;
    }

    /// <summary>The TCP connect, ours so that the socket's options can be set once connected and its own error text reported.</summary>
    private async ValueTask<Stream> ConnectSocketAsync(SocketsHttpConnectionContext context, CancellationToken cancel)
    {
        if (Interlocked.Increment(ref _connects) > 1)
        {
            // An upgrade is one connection: a second is the HTTP stack retrying after the
            // server hung up before answering (it cannot tell that from a stale pooled
            // connection), and the retry would meet the same server, or one that never answers.
            throw new IOException(LoopErrors.WebSocketHungUpBeforeAnswer());
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task ConnectAsync(ClientWebSocket ws, HttpMessageInvoker invoker, CancellationToken cancel)
    {
        string? error;
        try
        {
            await ws.ConnectAsync(_url, invoker, cancel).ConfigureAwait(false);
            error = ws.SubProtocol is { Length: > 0 } || _subprotocols.Count == 0 ? null : LoopErrors.WebSocketNoSubprotocol(_subprotocols);
        }
#pragma warning disable CA1031 // Whatever the runtime throws fails the connect: an exception let through would leave it unreported for ever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (cancel.IsCancellationRequested)
            {
                // Abandoned by Dispose, which released everything: nobody is listening.
                return;
            }

            error = DescribeConnectFailure(ws, e);
        }

        PostOrDrop(() => Opened(error));
    }

    private string DescribeConnectFailure(ClientWebSocket ws, Exception e)
    {
        if (ws.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols and var status)
        {
            return LoopErrors.WebSocketUpgradeRefused(status, _url.PathAndQuery);
        }

        if (_verifier?.Rejection is { } rejection)
        {
            return rejection;
        }

        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SocketException socketError:
                    return socketError.Message;
                case AuthenticationException tls:
                    return LoopErrors.TlsHandshakeFailed(TlsTransport.Describe(tls));
                case WebSocketException { WebSocketErrorCode: WebSocketError.UnsupportedProtocol } refused:
                    return LoopErrors.WebSocketSubprotocolRefused(_subprotocols, refused.Message);
            }
        }

        return LoopErrors.WebSocketHandshakeFailed(TlsTransport.Describe(e));
    }

    private void Opened(string? error)
    {
        if (_disposed)
        {
            return;
        }

        if (error is null)
        {
            _established = true;
            _ = ReceiveAsync(_ws!, _token);
        }

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

    /// <summary>The receiving task: messages into the inbox, until the close frame, a failure, or the transport's end.</summary>
    private async Task ReceiveAsync(ClientWebSocket ws, CancellationToken cancel)
    {
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxMessage);
        bool wake;
        try
        {
            while (true)
            {
                await _inbox.WaitForRoomAsync().ConfigureAwait(false);
                var result = await ws.ReceiveAsync(chunk.AsMemory(), cancel).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    wake = _inbox.End(LoopErrors.WebSocketClosed(ws.CloseStatus, ws.CloseStatusDescription));
                    break;
                }

                if (result.Count > 0 && _inbox.Add(chunk.AsSpan(0, result.Count)))
                {
                    PostOrDrop(_onWake);
                }
            }
        }
#pragma warning disable CA1031 // Whatever the runtime throws ends the stream: an exception let through would leave the handle waiting for ever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (cancel.IsCancellationRequested)
            {
                // The transport's end (Dispose) is what failed the receive: nobody is reading.
                return;
            }

            wake = e is WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely }
                ? _inbox.End(LoopErrors.WebSocketEndedWithoutClose())
                : _inbox.Fail(LoopErrors.WebSocketFailed(TlsTransport.Describe(e)));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        if (wake)
        {
            PostOrDrop(_onWake);
        }
    }

    private void Woken()
    {
        _inbox.Woken();
        Deliver();
    }

    /// <summary>Calls the handle's reader while something waits for it, as a level-triggered watcher would.</summary>
    private void Deliver()
    {
        if (_disposed || _onReadable is not { } readable || !_inbox.Ready)
        {
            return;
        }

        readable();
        if (_onReadable is not null && !_disposed && _inbox.Ready)
        {
            // More than the handle takes in one call (it reads a burst at most): the rest
            // next pass, as a socket that stays readable.
            QueueRefire();
        }
    }

    private void QueueRefire()
    {
        if (!_refireQueued)
        {
            _refireQueued = true;
            _loop.Postpone(_refire);
        }
    }

    /// <summary>Sends what the handle gave this pass, a message of 64 KiB at most at a time, while sends complete at once.</summary>
    private void FlushOutbox()
    {
        while (!_sending && !_disposed && _writeFailure is null && _outbox.Length > 0)
        {
            (_outbox, _inFlight) = (_inFlight, _outbox);
            var n = Math.Min(_inFlight.Length, MaxMessage);
            if (n < _inFlight.Length)
            {
                // What does not fit this message goes back first in line.
                _outbox.Write(_inFlight.Span[n..]);
                _inFlight.Truncate(n);
            }

            ValueTask send;
            try
            {
                send = _ws!.SendAsync(_inFlight.Array.AsMemory(_inFlight.Start, n), WebSocketMessageType.Binary, endOfMessage: true, _token);
            }
#pragma warning disable CA1031 // A send that fails in any way fails the stream: Send throws it to the handle.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Sent(e);
                return;
            }

            if (!send.IsCompleted)
            {
                _sending = true;
                _sendTask = AwaitSendAsync(send);
                return;
            }

            Sent(Completion(send));
        }
    }

    private static Exception? Completion(ValueTask send)
    {
        try
        {
            send.GetAwaiter().GetResult();
            return null;
        }
#pragma warning disable CA1031 // As FlushOutbox: any failure is the stream's.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return e;
        }
    }

    private async Task AwaitSendAsync(ValueTask send)
    {
        Exception? failure = null;
        try
        {
            await send.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // As FlushOutbox: any failure is the stream's, and the loop must hear of the send's end whatever it was.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }

        PostOrDrop(() =>
        {
            _sending = false;
            Sent(failure);
            FlushOutbox();
        });
    }

    private void Sent(Exception? failure)
    {
        if (_disposed)
        {
            // The buffers are CloseAsync's now, on another thread, or already returned.
            return;
        }

        _inFlight.Clear();
        _writeFailure ??= failure;

        if (_onWritable is { } writable && (_outbox.Length < OutboxLimit || _writeFailure is not null))
        {
            writable();
        }
    }

    /// <summary>
    /// After the loop let go: the last bytes (64 KiB a message, as ever), the close frame, then
    /// everything released. All of it within <see cref="CloseTimeout"/>: a peer that stopped
    /// reading holds a send for ever, and the connection is then given up (aborted) instead.
    /// </summary>
    private async Task CloseAsync(ClientWebSocket ws, Task? sending, ByteBuffer outbox, ByteBuffer inFlight)
    {
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            if (sending is not null)
            {
                await sending.WaitAsync(timeout.Token).ConfigureAwait(false);
            }

            for (var sent = 0; sent < outbox.Length; sent += MaxMessage)
            {
                var n = Math.Min(MaxMessage, outbox.Length - sent);
                await ws.SendAsync(outbox.Array.AsMemory(outbox.Start + sent, n), WebSocketMessageType.Binary, true, timeout.Token).ConfigureAwait(false);
            }

            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nobody is left to tell: the loop let go of this transport.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Closing anyway: the peer is gone or will not take the rest.
        }
        finally
        {
            Release(ws, outbox, inFlight);
        }
    }

    /// <summary>What a <c>wss://</c> connect loaded from tls_ctx's files, disposed when the transport lets go (for tests that check the release).</summary>
    internal LoadedCertificates LoadedCertificates => _certificates;

    /// <summary>
    /// The end of everything this transport owns, once, after the loop let go: the upgrade or
    /// receive still running is cancelled (and returns its pooled buffer as it unwinds), the
    /// socket closed, the certificates loaded from tls_ctx's files disposed, the buffers
    /// returned to their pool.
    /// </summary>
    private void Release(ClientWebSocket? ws, ByteBuffer outbox, ByteBuffer inFlight)
    {
        _cancel.Cancel();
        _cancel.Dispose();
        ws?.Dispose();
        _invoker?.Dispose();
        _certificates.Dispose();
        _inbox.Dispose();
        outbox.Dispose();
        inFlight.Dispose();
    }

    private void PostOrDrop(Action action)
    {
        // The loop is gone, and the handle with it: nothing is left to hear of it.
        _ = _loop.TryPost(action);
    }

    private void ThrowIfNotOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_established)
        {
            throw new InvalidOperationException(LoopErrors.WebSocketNotOpen());
        }
    }

    /// <summary>What the headers hook threw, carried to where the connect fails with it.</summary>
    private sealed class HookException(Exception inner) : Exception(inner.Message, inner);
}
