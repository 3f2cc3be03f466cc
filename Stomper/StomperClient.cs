using System.Globalization;
using System.Diagnostics;
using EventLoop;
using static Stomper.ErrorCode;

namespace Stomper;

/// <summary>
/// The single-node STOMP client, the twin of AnyEvent::Stomper: commands are methods
/// taking a <see cref="CommandParams"/> bag, results arrive in callbacks on the loop
/// thread. Commands issued before the session is up are queued and sent, in order,
/// once CONNECTED arrives; after a disconnect the next command reconnects.
/// </summary>
/// <remarks>
/// <para>Failure order, as in the original: the client's <see cref="OnError"/>; then every
/// live subscription's <c>on_receipt</c> hears <c>Subscription "&lt;id&gt;" lost: ...</c>
/// (not when the client itself closed); then every queued or unanswered command hears
/// <c>Operation "&lt;NAME&gt;" aborted: ...</c>; then <see cref="OnDisconnect"/> if the
/// TCP connection had been made (<see cref="OnConnect"/> runs when it is, before CONNECT).
/// A DISCONNECT's own callback runs after all of that, once its RECEIPT closed the session.</para>
/// <para>Where the original breaks the specification we follow the specification:
/// header escaping by version, the first of repeated headers wins, and heart-beats flow
/// in a direction only when both sides asked for them.</para>
/// </remarks>
public sealed class StomperClient : CommandMethods, IStomperClient
{
    private const string ConstructorName = "The " + nameof(StomperClient) + " constructor";
    private static readonly Action<StompError> s_defaultOnError = err => Console.Error.WriteLine(err.Message);

    private readonly Loop _loop;
    private readonly StomperOptions _options;
    private readonly WebSocketOptions? _webSocket;
    private readonly int _cx;
    private readonly int _cy;
    private readonly (string Name, string Value)[] _defaultHeaders;
    private readonly Dictionary<string, (string Name, string Value)[]> _commandHeaders = new(StringComparer.Ordinal);
    private readonly Queue<PendingCommand> _queued = new();
    private readonly Queue<(long Mark, PendingCommand Command)> _unwritten = new();
    private readonly Dictionary<string, (PendingCommand Command, Subscription? Subscription)> _awaitingReceipt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Action _confirmWrites;
    private readonly ClientTelemetry _telemetry;
    private readonly ReceiptDeadlines _deadlines;
    private readonly double _receiptTimeout;
    private Action<StompError> _onError = s_defaultOnError;
    private double? _connectionTimeout;
    private double? _reconnectInterval;
    private Handle? _handle;
    private FrameReader? _reader;
    private StompVersion _version = StompVersion.V1_0;
    private State _state;
    private TimerWatcher? _handshakeTimer;
    private TimerWatcher? _reconnectTimer;
    private TimerWatcher? _beatTimer;
    private long _beatMark;
    private long _sequence;
    private long _receiptSequence;
    private bool _confirmScheduled;
    private bool _disposed;
    private readonly Func<bool>? _ownerAnswers;
    private int _failuresReporting;
    private bool _connectWhenReported;
    private StompError? _failAfterRead;
    private bool _reading;
    private bool _readPaused;

    /// <summary>Creates the client and, unless <see cref="StomperOptions.Lazy"/>, starts connecting.</summary>
    /// <exception cref="ArgumentException">An option is invalid, found before anything starts; the message is the original's text where it had one.</exception>
    public StomperClient(StomperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Checked once, first, in the constructor's name: the setters called below check
        // again, and would otherwise name a member the caller never touched.
        _loop = options.Loop ?? AE.CurrentLoop;
        _ownerAnswers = options.OwnerAnswersCommands;
        _loop.VerifyAccess(ConstructorName);
        (_cx, _cy) = OptionChecks.Check(options);
        _receiptTimeout = OptionChecks.ReceiptTimeoutSeconds(options.ReceiptTimeout, nameof(StomperOptions.ReceiptTimeout));
        if (options.CommandHeaders is { } commandHeaders)
        {
            foreach (var (command, headers) in commandHeaders)
            {
                _commandHeaders[command.ToUpperInvariant()] = [.. headers.Select(kv => (kv.Key, kv.Value))];
            }
        }

        ConnectionTimeout = options.ConnectionTimeout;
        ReconnectInterval = options.ReconnectInterval;
        _options = options;
        _defaultHeaders = options.DefaultHeaders is { } defaults ? [.. defaults.Select(kv => (kv.Key, kv.Value))] : [];
        Host = options.Url?.Host ?? options.Host;
        Port = options.Url?.Port ?? options.Port;
        _webSocket = options.Url is null ? null : new WebSocketOptions
        {
            Subprotocols = options.WebSocket?.Subprotocols ?? StompVersions.Subprotocols,
            Headers = options.WebSocket?.Headers,
            OnPrepareHeaders = options.WebSocket?.OnPrepareHeaders,
        };
        OnConnect = options.OnConnect;
        OnDisconnect = options.OnDisconnect;
        OnError = options.OnError;
        _confirmWrites = ConfirmWrites;
        _telemetry = new ClientTelemetry(options.LoggerFactory, options.MeterFactory, Host, Port);
        _deadlines = new ReceiptDeadlines(_loop, IsAwaited, ReceiptTimedOut);
        if (!options.Lazy)
        {
            Connect();
        }
    }

    private enum State
    {
        Disconnected,

        /// <summary>TCP connect under way.</summary>
        Connecting,

        /// <summary>TCP up (on_connect has run), CONNECTED awaited.</summary>
        LoggingIn,

        /// <summary>The session is up.</summary>
        Connected,
    }

    /// <summary>The server's host (<c>$stomper-&gt;host</c>).</summary>
    public string Host { get; }

    /// <summary>The server's port (<c>$stomper-&gt;port</c>).</summary>
    public int Port { get; }

    /// <summary>The WebSocket URL connected to (<see cref="StomperOptions.Url"/>); null over TCP and TLS.</summary>
    public Uri? Url => _options.Url;

    /// <summary>The loop the client runs on.</summary>
    public Loop Loop => _loop;

    /// <summary>True while the session is up (CONNECTED received, connection alive).</summary>
    public bool IsConnected => _state == State.Connected;

    /// <summary>
    /// How long the server has been silent on this session, counted as the heart-beat read
    /// timeout counts it (from the last bytes read, a heart-beat included, or from the end of
    /// a <see cref="PauseReading"/>); null while the session is not up. Not in the original:
    /// with <see cref="ReadTimeout"/> it tells a health check whether beats are fresh before
    /// the timeout ends the session. Read it on the loop's thread.
    /// </summary>
    public TimeSpan? Silence =>
        _state == State.Connected && _handle is { } handle ? TimeSpan.FromSeconds(handle.ReadIdle) : null;

    /// <summary>
    /// The <see cref="Silence"/> after which the session ends with <c>Read timed out.</c>:
    /// three of the agreed intervals of the server's heart-beats; zero while the session is
    /// not up or no beats from the server were agreed.
    /// </summary>
    public TimeSpan ReadTimeout =>
        _state == State.Connected && _handle is { } handle ? TimeSpan.FromSeconds(handle.RTimeout) : TimeSpan.Zero;

    /// <summary>The protocol version the server chose; 1.0 until connected.</summary>
    public StompVersion Version => _version;

    /// <summary>CONNECTED's <c>session</c> header, once connected.</summary>
    public string? Session { get; private set; }

    /// <summary>
    /// <c>connection_timeout</c> in seconds, read and write; null restores the default (the kernel's).
    /// </summary>
    /// <exception cref="ArgumentException"><c>"connection_timeout" must be a positive number</c>.</exception>
    public double? ConnectionTimeout
    {
        get => _connectionTimeout;
        set
        {
            _loop.VerifyAccess();
            _connectionTimeout = OptionChecks.IsNonNegative(value) ? value : throw Errors.ConnectionTimeoutNotPositive();
        }
    }

    /// <summary><c>reconnect_interval</c> in seconds, read and write; null restores the default (reconnect at once).</summary>
    /// <exception cref="ArgumentException"><c>"reconnect_interval" must be a positive number</c>.</exception>
    public double? ReconnectInterval
    {
        get => _reconnectInterval;
        set
        {
            _loop.VerifyAccess();
            _reconnectInterval = OptionChecks.IsNonNegative(value) ? value : throw Errors.ReconnectIntervalNotPositive();
        }
    }

    /// <summary><c>on_connect</c>, read and write: runs when the TCP connection is made, before CONNECT is written.</summary>
    public Action? OnConnect { get; set; }

    /// <summary><c>on_disconnect</c>, read and write: runs when a TCP connection that was made ends.</summary>
    public Action? OnDisconnect { get; set; }

    /// <summary><c>on_error</c>, read and write; setting null restores the default, which writes the message and a newline to standard error.</summary>
    public Action<StompError>? OnError
    {
        get => _onError;
        set
        {
            _loop.VerifyAccess();
            _onError = value ?? s_defaultOnError;
        }
    }

    /// <inheritdoc/>
    public override void Execute(string command, CommandParams parameters, Action<Frame?, StompError?>? onReceipt = null)
    {
        _loop.VerifyAccess();
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(parameters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var name = ClientCommand(command);
        if (name == StompCommands.Subscribe && parameters.OnMessage is null)
        {
            throw Errors.OnMessageNotSpecified();
        }

        if (name is StompCommands.Ack or StompCommands.Nack && parameters.Message is null
            && parameters["id"] is null && parameters["message-id"] is null)
        {
            throw Errors.MessageNotSpecified();
        }

        var timeout = parameters.ReceiptTimeout is { } own
            ? OptionChecks.ReceiptTimeoutSeconds(own, nameof(CommandParams.ReceiptTimeout))
            : _receiptTimeout;
        var pending = new PendingCommand(name, parameters, onReceipt ?? parameters.OnReceipt, ++_sequence, timeout);

        // A handle a socket error destroyed takes no writes: while the frames it read are
        // still dispatched, a command issued from their callbacks waits in the queue, and
        // the failure that follows aborts it with the rest.
        if (_state == State.Connected && !_handle!.IsDestroyed)
        {
            Write(pending);
            return;
        }

        // Connect first: should it throw, the caller hears of it and no command of its
        // stays queued. The connect answers on a later pass, so the queue is in time.
        if (_state == State.Disconnected && _reconnectTimer is null)
        {
            ConnectUnlessReporting();
        }

        // The wait for a receipt counts from the call: a server that accepts the connection
        // and never answers CONNECT holds the command as surely as one that never answers it.
        if (timeout > 0 && AsksReceipt(name, parameters))
        {
            pending = pending with { Deadline = _deadlines.Now + timeout };
            _deadlines.Track(pending.Sequence, null, timeout, pending.Deadline);
        }

        // Written later: keep the call's values, not an object the caller may change meanwhile.
        _queued.Enqueue(pending with { Parameters = _telemetry.Queued(parameters, parameters.Snapshot()) });
    }

    /// <summary>The receipt deadlines being watched, for tests.</summary>
    internal ReceiptDeadlines ReceiptDeadlines => _deadlines;

    /// <summary>True between <see cref="PauseReading"/> and <see cref="ResumeReading"/>.</summary>
    public bool IsReadingPaused => _readPaused;

    /// <summary>
    /// Called when CONNECTED arrives and the session is up (<see cref="Version"/> and
    /// <see cref="Session"/> set), once the commands queued meanwhile are written. A .NET addition:
    /// the original's <c>on_connect</c> runs when the TCP connection is made, before the login.
    /// </summary>
    public Action? OnLogin { get; set; }

    /// <summary>
    /// Stops taking frames from the server, for a consumer that cannot keep up (a .NET
    /// addition; AnyEvent::Handle's <c>stop_read</c> under the client). No frame is
    /// dispatched, not even one already read, and the socket is not read, so the broker's
    /// sends back up into its own buffers. Writing goes on, heart-beats included, and the
    /// time spent paused does not count against the heart-beat read timeout: the silence
    /// is the client's doing. RECEIPTs wait too, so commands awaiting one stay unanswered
    /// until <see cref="ResumeReading"/>. The pause outlives a reconnect: a new connection
    /// reads CONNECTED and then pauses.
    /// </summary>
    public void PauseReading()
    {
        _loop.VerifyAccess();
        if (_readPaused)
        {
            return;
        }

        _readPaused = true;
        if (_state == State.Connected)
        {
            _handle!.StopRead();
        }
    }

    /// <summary>Takes frames again after <see cref="PauseReading"/>: those already read first, on a later pass.</summary>
    public void ResumeReading()
    {
        _loop.VerifyAccess();
        if (!_readPaused)
        {
            return;
        }

        _readPaused = false;
        if (_handle is { } handle)
        {
            handle.StartRead();

            // The frames read before the pause came off the socket already: no readiness
            // will announce them again.
            ResumeReadLater(handle);
        }
    }

    /// <summary>
    /// Closes the connection at once (<c>$stomper-&gt;force_disconnect</c>): everything
    /// pending is aborted with <see cref="E_CONN_CLOSED_BY_CLIENT"/>, reported first to
    /// <see cref="OnError"/>, as in the original; with nothing pending no error is
    /// reported. The client stays usable: the next command connects again.
    /// </summary>
    public void ForceDisconnect()
    {
        _loop.VerifyAccess();
        if (_state != State.Disconnected || _queued.Count > 0)
        {
            Disconnect(null);
        }
    }

    /// <summary>
    /// Destroys the client: the connection closes and, for every command still pending,
    /// the original's warning <c>Operation "&lt;NAME&gt;" aborted: Client object destroyed
    /// prematurely.</c> is written to standard error. No callback is called.
    /// </summary>
    public void Dispose()
    {
        _loop.VerifyAccess();
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // A receipt-less command already written has completed: it is not warned about as
        // aborted, though Dispose calls no callback.
        TakeWrittenConfirmations();
        var pending = DrainPending();
        _telemetry.Disposed(pending.Count);
        foreach (var command in pending)
        {
            WarnDestroyed(command);
        }

        _subscriptions.Clear();
        CloseConnection();
        _reconnectTimer?.Dispose();
        _reconnectTimer = null;
    }

    /// <remarks>
    /// Callers pass the upper-case names nearly always (every SEND of a publisher): they
    /// are matched as given, and only another spelling pays for upper-casing.
    /// </remarks>
    private static string ClientCommand(string command)
    {
        if (Executable(command) is { } name)
        {
            return name;
        }

        var upper = command.ToUpperInvariant();
        return Executable(upper) ?? throw (upper is StompCommands.Connect or StompCommands.Stomp
            ? Errors.CommandNotExecutable(upper)
            : Errors.UnknownClientCommand(command));
    }

    /// <summary>The name of a command a client may execute, spelled exactly <paramref name="upper"/>; null for any other.</summary>
    private static string? Executable(string upper) => upper switch
    {
        StompCommands.Send => StompCommands.Send,
        StompCommands.Subscribe => StompCommands.Subscribe,
        StompCommands.Unsubscribe => StompCommands.Unsubscribe,
        StompCommands.Ack => StompCommands.Ack,
        StompCommands.Nack => StompCommands.Nack,
        StompCommands.Begin => StompCommands.Begin,
        StompCommands.Commit => StompCommands.Commit,
        StompCommands.Abort => StompCommands.Abort,
        StompCommands.Disconnect => StompCommands.Disconnect,
        _ => null,
    };

    private void Connect()
    {
        var handleParams = _options.HandleParams ?? new HandleParams();

        // The handle first: when making it throws, nothing is armed that could report later.
        var handle = new Handle(_loop, new HandleOptions
        {
            Host = Host,
            Port = Port,
            Autocork = handleParams.Autocork,
            Linger = handleParams.Linger,
            NoDelay = handleParams.NoDelay,
            KeepAlive = handleParams.KeepAlive,
            ReadSize = handleParams.ReadSize,
            WbufMax = handleParams.WbufMax,
            Transport = _options.Transport,
            Tls = handleParams.Tls,
            TlsCtx = handleParams.TlsCtx,
            Peername = handleParams.Peername,
            Url = _options.Url,
            WebSocket = _webSocket,
            OnConnect = (h, _, _) => TcpConnected(h),
            OnConnectError = (h, reason) => Fail(h, Errors.CantConnect(Host, Port, reason)),
            OnError = (h, _, message) => FailAfterRead(h, Errors.Io(message)),
            OnEof = h => FailAfterRead(h, Errors.ConnectionClosedByRemoteHost(h.EndReason)),
            OnRead = Read,
            OnRTimeout = h => Fail(h, Errors.ReadTimedOut()),
        });
        handle.OnWritten = h =>
        {
            _telemetry.Wrote(h);
            ScheduleWriteConfirmations();
        };
        _telemetry.Connecting();
        _handle = handle;
        _state = State.Connecting;
        _version = StompVersion.V1_0;
        Session = null;
        _reader = new FrameReader(FrameSource.Server, _options.FrameLimits);
        if (_connectionTimeout is > 0 and var timeout)
        {
            // The timeout covers the whole handshake: a server that accepts and then
            // never answers CONNECT must not hang the client either.
            _handshakeTimer = _loop.Timer(timeout, 0, () => Disconnect(Errors.HandshakeTimedOut(Host, Port)));
        }
    }

    /// <summary>
    /// The TCP connection is made: on_connect runs now, as in the original, before CONNECT
    /// goes out (and so also before a login that will be refused).
    /// </summary>
    private void TcpConnected(Handle handle)
    {
        if (handle != _handle)
        {
            return;
        }

        _state = State.LoggingIn;
        _telemetry.LoggingIn(_options.Login);
        try
        {
            OnConnect?.Invoke();
        }
        finally
        {
            // Log in even when on_connect threw; not when it closed the connection.
            if (handle == _handle && _state == State.LoggingIn)
            {
                SendConnect(handle);
            }
        }
    }

    /// <summary>
    /// Writes CONNECT, built as the original's login step builds it: its own headers only,
    /// never default_headers or command_headers, and <c>content-length:0</c>. The options
    /// were checked in the constructor, and what OnBeforeConnect changed is checked by
    /// <see cref="ConnectHook"/>, so every header can be written unescaped.
    /// </summary>
    private void SendConnect(Handle handle)
    {
        if (_cy > 0)
        {
            // As the original: a server that accepts TCP and never answers CONNECT is
            // dead after the read timeout the client asked for, connection_timeout or not.
            handle.RTimeout = HeartBeat.ReadTimeout(_cy);
        }

        var connect = new ConnectHeaders(Host, Port, _options.Login, _options.Passcode, _options.Vhost);
        if (_options.OnBeforeConnect is { } beforeConnect && ConnectHook.Run(beforeConnect, connect) is { } refused)
        {
            Disconnect(refused);
            return;
        }

        if (handle != _handle || _state != State.LoggingIn)
        {
            // The hook closed or disposed the client: there is no login left to write.
            return;
        }

        var writer = new FrameWriter(handle.Writer, StompVersion.V1_0);
        writer.WriteCommand(StompCommands.Connect);
        writer.WriteHeader("accept-version", "1.0,1.1,1.2");
        writer.WriteHeader("heart-beat", string.Create(CultureInfo.InvariantCulture, $"{_cx},{_cy}"));
        WriteIfSet(ref writer, "login", connect.Login);
        WriteIfSet(ref writer, "passcode", connect.Passcode);
        WriteIfSet(ref writer, "host", connect.Vhost);
        foreach (var (name, value) in connect.Extra)
        {
            writer.WriteHeader(name, value);
        }

        writer.WriteContentLength(0);
        writer.EndHeaders();
        writer.WriteBody([]);
        handle.Commit();
    }

    private static void WriteIfSet(ref FrameWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteHeader(name, value);
        }
    }

    private void Fail(Handle handle, StompError error)
    {
        if (handle == _handle)
        {
            Disconnect(error);
        }
    }

    /// <summary>
    /// EOF or a socket error: every frame already received is dispatched first, then the
    /// failure acted on. Should a callback throw on the way, the rest of the frames, and
    /// then the failure, follow on the next pass (see <see cref="Read"/>).
    /// </summary>
    private void FailAfterRead(Handle handle, StompError error)
    {
        if (handle != _handle)
        {
            return;
        }

        _failAfterRead = error;

        // A write failing inside a frame's callback: the read going on around it dispatches
        // the rest and then fails, so no frame is delivered inside another's callback.
        if (!_reading)
        {
            Read(handle);
        }
    }

    private void Read(Handle handle)
    {
        _reading = true;
        try
        {
            ReadFrames(handle);
        }
        finally
        {
            _reading = false;
        }
    }

    private void ReadFrames(Handle handle)
    {
        // A read postponed by a ResumeReading that a PauseReading has taken back since.
        if (_readPaused && _state == State.Connected && _failAfterRead is null)
        {
            return;
        }

        while (handle == _handle)
        {
            // A handle destroyed by a socket error still holds what it read before it.
            var result = _reader!.TryRead(handle.ReadBuffer, out var frame, out var consumed, out var error);
            handle.Consume(consumed);
            _telemetry.Read(consumed);
            switch (result)
            {
                case FrameReadResult.NeedMoreData:
                    if (_failAfterRead is { } failure)
                    {
                        Disconnect(failure);
                    }

                    return;
                case FrameReadResult.Error:
                    Disconnect(error!);
                    return;
                case FrameReadResult.Frame:
                    try
                    {
                        Dispatch(frame!);
                    }
                    catch
                    {
                        // A user callback threw and the exception leaves the loop. Frames
                        // still in the read buffer were read off the socket already, so no
                        // readiness will announce them again: go on from there next pass.
                        ResumeReadLater(handle);
                        throw;
                    }

                    // Paused by the callback: the rest waits in the buffer, unless the
                    // connection is failing and every frame read must be dispatched first.
                    if (_readPaused && _state == State.Connected && _failAfterRead is null)
                    {
                        return;
                    }

                    break;
            }
        }
    }

    private void ResumeReadLater(Handle handle) => _loop.Postpone(() => Read(handle));

    private void Dispatch(Frame frame)
    {
        _telemetry.FrameReceived(frame);
        switch (frame.Command)
        {
            case StompCommands.Connected when _state == State.LoggingIn:
                Connected(frame);
                break;
            case StompCommands.Message when _state == State.Connected:
                Deliver(frame);
                break;
            case StompCommands.Receipt when _state == State.Connected:
                Receipt(frame);
                break;
            case StompCommands.Error:
                ServerError(frame);
                break;
            default:
                Disconnect(Errors.UnexpectedFrame(frame.Command));
                break;
        }
    }

    private void Connected(Frame frame)
    {
        _handshakeTimer?.Dispose();
        _handshakeTimer = null;
        if (!StompVersions.TryParse(frame.Headers["version"], out var version))
        {
            Disconnect(Errors.UnexpectedFrame($"CONNECTED (version \"{frame.Headers["version"]}\")"));
            return;
        }

        // A heart-beat header the client cannot read matters only when it asked for
        // beats; then guessing either way is wrong, so say what came.
        var heartBeat = frame.Headers["heart-beat"];
        if (!HeartBeat.TryParse(heartBeat, out var sx, out var sy) && (_cx > 0 || _cy > 0))
        {
            Disconnect(Errors.MalformedHeartBeat(heartBeat!));
            return;
        }

        _version = version;
        _reader!.Version = version;
        Session = frame.Headers["session"];
        _state = State.Connected;
        _telemetry.Connected(frame, version);
        StartHeartBeats(sx, sy);
        if (_readPaused)
        {
            _handle!.StopRead();
        }

        // The queued commands are watched again as they are written, under their receipt
        // ids and with the deadlines they got at the call.
        _deadlines.Clear();

        // In the order issued, those from on_connect among them. A write that fails
        // destroys the handle: the rest stay queued for the failure that follows the read.
        while (_state == State.Connected && !_handle!.IsDestroyed && _queued.TryDequeue(out var command))
        {
            Write(command);
        }

        if (_state == State.Connected)
        {
            _options.OwnerOnLogin?.Invoke();
            OnLogin?.Invoke();
        }
    }

    private void StartHeartBeats(int sx, int sy)
    {
        var handle = _handle!;
        if (HeartBeat.OutgoingInterval(_cx, sy) is > 0 and var outgoing)
        {
            // Check three times per interval and beat when nothing left since the last
            // check: the broker hears from us at least every two thirds of the interval.
            _beatMark = handle.BytesQueued;
            _beatTimer = _loop.Timer(outgoing / 3000.0, outgoing / 3000.0, Beat);
        }

        // Replaces the login's read timeout; 0 switches it off when the server sends no
        // beats (the original kept the login's timeout then, and dropped idle connections).
        handle.RTimeout = HeartBeat.IncomingTimeout(_cy, sx);
    }

    private void Beat()
    {
        if (_handle is not { IsDestroyed: false } handle)
        {
            return;
        }

        if (handle.BytesQueued == _beatMark)
        {
            FrameWriter.WriteHeartBeat(handle.Writer);
            handle.Commit();
        }

        _beatMark = handle.BytesQueued;
    }

    private void Deliver(Frame message)
    {
        if (Receiver(message) is not { } subscription)
        {
            Disconnect(Errors.UnknownSubscription(message.Headers["subscription"] ?? message.Headers["destination"] ?? string.Empty));
            return;
        }

        // An id reused while its UNSUBSCRIBE is on its way names several subscriptions.
        // The broker reads frames in order and answers that UNSUBSCRIBE before it delivers
        // to the newer one, so until its RECEIPT unlinks it the oldest is the one meant.
        while (subscription.Previous is { } older)
        {
            subscription = older;
        }

        if (subscription.Acks is { } acks && AckKey(message) is { } key)
        {
            acks.Add(key);
        }

        message.SubscriptionKey = subscription.Id;
        _telemetry.Process(subscription.OnMessage, message, subscription.Id, subscription.Destination);
    }

    /// <summary>
    /// The subscription a MESSAGE is for: the one its subscription header names, else the
    /// one keyed by its destination. A subscription made without an id is known by its
    /// destination, while the broker may still name one of its own in the MESSAGE.
    /// </summary>
    private Subscription? Receiver(Frame message)
    {
        if (message.Headers["subscription"] is { } id && _subscriptions.TryGetValue(id, out var subscription))
        {
            return subscription;
        }

        return message.Headers["destination"] is { } destination && _subscriptions.TryGetValue(destination, out subscription) ? subscription : null;
    }

    private string? AckKey(Frame message) =>
        (_version == StompVersion.V1_2 ? message.Headers["ack"] : null) ?? message.Headers["message-id"];

    private void Receipt(Frame receipt)
    {
        var id = receipt.Headers["receipt-id"] ?? string.Empty;
        if (!_awaitingReceipt.Remove(id, out var entry))
        {
            Disconnect(Errors.UnknownReceipt(id));
            return;
        }

        var (command, subscription) = entry;
        ReceiptAnswered(id, command, null);

        switch (command.Name)
        {
            case StompCommands.Subscribe when subscription is not null:
                subscription.Confirmed = true;
                _telemetry.SubscriptionConfirmed();
                break;
            case StompCommands.Unsubscribe when subscription is not null:
                // Only the subscription this UNSUBSCRIBE named: a SUBSCRIBE with the same
                // id written since then made a new one, which lives on.
                _telemetry.SubscriptionEnded(subscription.Confirmed);
                Unlink(subscription);
                break;
            case StompCommands.Disconnect:
                Disconnected(command, receipt);
                return;
        }

        Complete(command, receipt, null);
    }

    /// <summary>
    /// As the original: the session closes first (its failure sequence, then
    /// on_disconnect), and the DISCONNECT hears of its receipt last. A method of its own
    /// because the lambda's capture, written in <see cref="Receipt"/>, made C# allocate
    /// its closure on every RECEIPT.
    /// </summary>
    private void Disconnected(PendingCommand command, Frame receipt) => Disconnect(null, () => Complete(command, receipt, null));

    /// <summary>Removes this very subscription from under its id, leaving any other that shares the id.</summary>
    private void Unlink(Subscription subscription) => SubscriptionChain.Unlink(_subscriptions, subscription.Id, subscription);

    /// <summary>A command awaiting a receipt got its answer (a RECEIPT, or an ERROR naming it): its deadline, if it had one, stops being watched.</summary>
    private void ReceiptAnswered(string id, PendingCommand command, StompError? error)
    {
        _telemetry.ReceiptAnswered(id, command.Name, error);
        if (command.Timeout > 0)
        {
            _deadlines.Answered(command.Sequence);
        }
    }

    private void ServerError(Frame frame)
    {
        if (_state == State.Connected && frame.Headers["receipt-id"] is { } receiptId && _awaitingReceipt.Remove(receiptId, out var entry))
        {
            var error = Errors.ErrorFrame(frame);
            ReceiptAnswered(receiptId, entry.Command, error);

            if (entry.Command.Name == StompCommands.Subscribe && entry.Subscription is { } refused)
            {
                Unlink(refused);
            }

            Complete(entry.Command, null, error);
            return;
        }

        // An ERROR that names no pending command (a refused login among them) is about
        // the connection, which the server closes after it anyway.
        Disconnect(Errors.ErrorFrame(frame, endedSession: true));
    }

    private void Write(PendingCommand command)
    {
        var handle = _handle!;
        var parameters = command.Parameters;
        var name = command.Name;
        _commandHeaders.TryGetValue(name, out var commandHeaders);
        var receipt = Lookup("receipt", parameters, commandHeaders);
        string? subscriptionKey = null;
        if (receipt is null && name is StompCommands.Subscribe or StompCommands.Unsubscribe or StompCommands.Disconnect)
        {
            receipt = "auto";
        }

        string? receiptOverride = null;
        if (receipt == "auto")
        {
            receipt = receiptOverride = string.Create(CultureInfo.InvariantCulture, $"R_{Session}.{++_receiptSequence}");
        }

        if (receipt is not null && _awaitingReceipt.ContainsKey(receipt))
        {
            // Overwriting the entry would leave the first command unanswered for ever.
            CompleteLater(command, Errors.ReceiptAlreadyAwaited(receipt));
            return;
        }

        string? ackId = null;
        string? ackSubscription = null;
        if (name is StompCommands.Ack or StompCommands.Nack)
        {
            if (!SettleAcknowledgement(command, out ackId, out ackSubscription))
            {
                return;
            }
        }
        else if (name is StompCommands.Subscribe or StompCommands.Unsubscribe)
        {
            subscriptionKey = Lookup("id", parameters, commandHeaders) ?? Lookup("destination", parameters, commandHeaders) ?? string.Empty;
        }

        var watched = _telemetry.Watching;
        var destination = watched ? Lookup("destination", parameters, commandHeaders) : null;
        using var activity = watched ? _telemetry.StartCommand(name, destination, parameters) : null;
        var mark = handle.BytesQueued;
        try
        {
            var writer = new FrameWriter(handle.Writer, _version);
            writer.WriteCommand(name);
            var hasContentLength = WriteHeaderLayers(ref writer, name, parameters, receiptOverride);
            if (activity is not null)
            {
                // Only a sampled span has a context to write: unwatched, a SEND makes no call for it.
                WriteTraceContext(ref writer, activity, parameters, commandHeaders);
            }

            if (ackId is not null)
            {
                WriteAckHeaders(ref writer, parameters, ackId, ackSubscription);
            }

            // Every frame, with a body or not, as the original writes them.
            if (!hasContentLength)
            {
                writer.WriteContentLength(parameters.BodyLength);
            }

            writer.EndHeaders();
            if (parameters.BodyBytes is { } bytes)
            {
                writer.WriteBody(bytes.Span);
            }
            else
            {
                writer.WriteBody(parameters.Body ?? string.Empty);
            }
        }
        catch (ArgumentException e)
        {
            handle.Rollback(mark);
            var refusal = Errors.FrameRefused(e);
            ClientTelemetry.Refused(activity, refusal);
            CompleteLater(command, refusal);
            return;
        }

        // The receipt entry keeps the subscription object itself, so that its answer
        // touches that one and not whatever holds the id by then.
        Subscription? subscription = null;
        if (name == StompCommands.Subscribe)
        {
            var ackMode = Lookup("ack", parameters, commandHeaders) ?? "auto";
            _subscriptions.TryGetValue(subscriptionKey!, out var previous);
            subscription = new Subscription(subscriptionKey!, ackMode, parameters.OnMessage!, command.ReplyTo)
            {
                Previous = previous,
                Sequence = command.Sequence,
                Destination = Lookup("destination", parameters, commandHeaders),
            };
            _subscriptions[subscriptionKey!] = subscription;
        }
        else if (name == StompCommands.Unsubscribe)
        {
            _subscriptions.TryGetValue(subscriptionKey!, out subscription);
        }

        if (receipt is not null)
        {
            // The mark says later whether the whole frame left for the socket, and so
            // whether an abort is in doubt.
            command = command with { Mark = handle.BytesQueued };
            if (command.Timeout > 0)
            {
                // Queued, it was given its deadline at the call; written at the call, now is the call.
                var deadline = command.Deadline > 0 ? command.Deadline : _deadlines.Now + command.Timeout;
                command = command with { Deadline = deadline };
                _deadlines.Track(command.Sequence, receipt, command.Timeout, deadline);
            }

            _awaitingReceipt[receipt] = (command, subscription);
            _telemetry.ReceiptAwaited(receipt);
        }
        else if (command.ReplyTo is not null)
        {
            _unwritten.Enqueue((handle.BytesQueued, command));
        }

        handle.Commit();
        if (watched)
        {
            _telemetry.Wrote(name, destination, receipt, handle.BytesQueued - mark);
        }
    }

    /// <summary>Writes the call's headers, then the command's defaults, then the global defaults, each name once; returns whether content-length was among them.</summary>
    private bool WriteHeaderLayers(ref FrameWriter writer, string name, CommandParams own, string? receiptOverride)
    {
        var hasContentLength = false;
        for (var i = 0; i < own.HeaderCount; i++)
        {
            var (header, value) = own.HeaderAt(i);
            if (receiptOverride is not null && header == "receipt")
            {
                continue;
            }

            hasContentLength |= header == "content-length";
            writer.WriteHeader(header, value);
        }

        _commandHeaders.TryGetValue(name, out var commandHeaders);
        if (commandHeaders is not null)
        {
            foreach (var (header, value) in commandHeaders)
            {
                if ((receiptOverride is not null && header == "receipt") || own[header] is not null)
                {
                    continue;
                }

                hasContentLength |= header == "content-length";
                writer.WriteHeader(header, value);
            }
        }

        foreach (var (header, value) in _defaultHeaders)
        {
            if ((receiptOverride is not null && header == "receipt") || own[header] is not null || Find(commandHeaders, header) is not null)
            {
                continue;
            }

            hasContentLength |= header == "content-length";
            writer.WriteHeader(header, value);
        }

        if (receiptOverride is not null)
        {
            writer.WriteHeader("receipt", receiptOverride);
        }

        return hasContentLength;
    }

    /// <summary>
    /// A producer span's trace context, unless the caller gave any of its headers (its own,
    /// the command's or the default ones): a caller's context goes out whole, never mixed with ours.
    /// </summary>
    private void WriteTraceContext(ref FrameWriter writer, Activity? activity, CommandParams own, (string Name, string Value)[]? commandHeaders)
    {
        if (ClientTelemetry.TraceContext(activity) is not { } fields)
        {
            return;
        }

        foreach (var (name, _) in fields)
        {
            if (Lookup(name, own, commandHeaders) is not null)
            {
                return;
            }
        }

        foreach (var (name, value) in fields)
        {
            writer.WriteHeader(name, value);
        }
    }

    /// <summary>ACK/NACK by message: the headers its version wants, unless the caller gave them.</summary>
    private void WriteAckHeaders(ref FrameWriter writer, CommandParams own, string ackId, string? subscription)
    {
        if (_version == StompVersion.V1_2)
        {
            if (own["id"] is null)
            {
                writer.WriteHeader("id", ackId);
            }

            return;
        }

        if (own["message-id"] is null)
        {
            writer.WriteHeader("message-id", ackId);
        }

        if (_version == StompVersion.V1_1 && subscription is not null && own["subscription"] is null)
        {
            writer.WriteHeader("subscription", subscription);
        }
    }

    /// <summary>
    /// Checks an ACK/NACK against the messages awaiting acknowledgement. By message: one
    /// not pending is not sent and fails with <c>Unexpected ACK sent.</c>. By id (the
    /// seed's form): sent as given, settling the message if the client knows it.
    /// </summary>
    private bool SettleAcknowledgement(PendingCommand command, out string? ackId, out string? subscriptionId)
    {
        ackId = null;
        subscriptionId = null;
        if (command.Parameters.Message is not { } message)
        {
            if ((command.Parameters["id"] ?? command.Parameters["message-id"]) is { } id)
            {
                foreach (var newest in _subscriptions.Values)
                {
                    if (SettleInChain(newest, id))
                    {
                        break;
                    }
                }
            }

            return true;
        }

        // The subscription header names the subscription as the broker knows it, while
        // the message is settled under the key it was delivered to (its destination,
        // perhaps); a frame built by the caller is looked up as a delivery would be.
        subscriptionId = message.Headers["subscription"] ?? message.Headers["destination"];
        ackId = AckKey(message);
        var owner = message.SubscriptionKey is { } key ? _subscriptions.GetValueOrDefault(key) : Receiver(message);
        if (ackId is not null && owner is not null && SettleInChain(owner, ackId))
        {
            return true;
        }

        CompleteLater(command, Errors.UnexpectedAcknowledgement(command.Name));
        return false;
    }

    /// <summary>Settles the message in the newest subscription of an id or in an older one: it may have come while the older one held the id.</summary>
    private static bool SettleInChain(Subscription newest, string ackId)
    {
        for (Subscription? owner = newest; owner is not null; owner = owner.Previous)
        {
            if (owner.Acks?.Settle(ackId) == true)
            {
                return true;
            }
        }

        return false;
    }

    private void ScheduleWriteConfirmations()
    {
        if (!_confirmScheduled && _unwritten.Count > 0)
        {
            // Confirm after the current callback, never inside the caller's Send.
            _confirmScheduled = true;
            _loop.Postpone(_confirmWrites);
        }
    }

    private void ConfirmWrites()
    {
        _confirmScheduled = false;
        var written = _handle?.BytesWritten ?? long.MinValue;
        try
        {
            while (_unwritten.TryPeek(out var head) && head.Mark <= written)
            {
                _unwritten.Dequeue();
                Complete(head.Command, null, null);
            }
        }
        catch
        {
            // A callback threw: the commands behind it were written too, and no further
            // write may come to confirm them.
            ScheduleWriteConfirmations();
            throw;
        }
    }

    /// <summary>
    /// Fails a command after the current callback. A method of its own because a lambda
    /// capturing the caller's parameters makes C# allocate the closure on entry to that
    /// caller, on every SEND, even when the failure never happens.
    /// </summary>
    private void CompleteLater(PendingCommand command, StompError error)
    {
        _telemetry.CommandNotSent(command.Name, error);
        _loop.Postpone(() => Complete(command, null, error));
    }

    private void WarnDestroyed(PendingCommand command)
    {
        if (_ownerAnswers?.Invoke() != true)
        {
            Console.Error.WriteLine(Errors.ClientDestroyedWarning(command.Name));
        }
    }

    private void Complete(PendingCommand command, Frame? receipt, StompError? error)
    {
        if (_disposed)
        {
            // Dispose promised no callback; a command it found pending would have been
            // warned about, and this one, answered too late, is warned about the same way.
            WarnDestroyed(command);
            return;
        }

        if (command.ReplyTo is { } callback)
        {
            callback(receipt, error);
        }
        else if (error is not null)
        {
            _onError(error);
        }
    }

    /// <summary>
    /// Ends the connection; with an error, runs the failure callbacks in the original's
    /// order, on_disconnect when the TCP connection had been made, then <paramref name="last"/>.
    /// </summary>
    private void Disconnect(StompError? error, Action? last = null, long timedOut = 0)
    {
        var wasConnected = _state is State.LoggingIn or State.Connected;
        var lost = error is not null && error.Code != E_CONN_CLOSED_BY_CLIENT
            ? [.. _subscriptions.Values.SelectMany(s => s.Chain()).Where(s => s.Confirmed).OrderBy(s => s.Sequence)]
            : new List<Subscription>();
        _subscriptions.Clear();

        // Receipt-less commands whose frames the socket took before the failure have
        // completed, though their confirmation waits for a later pass: they hear so first,
        // as they would have, and are never reported aborted.
        var confirmed = TakeWrittenConfirmations();
        var aborted = DrainPending();
        CloseConnection();

        // As in the original: a close the client asked for (DISCONNECT's receipt, or
        // force_disconnect) is an error only for the work it cuts short.
        if (error is null && aborted.Count > 0)
        {
            error = Errors.ConnectionClosedByClient();
        }

        _telemetry.Ended(error, aborted.Count, lost.Count);

        if (_reconnectInterval is > 0 and var interval)
        {
            _telemetry.ReconnectScheduled(interval);
            _reconnectTimer?.Dispose();
            _reconnectTimer = _loop.Timer(interval, 0, () =>
            {
                _reconnectTimer?.Dispose();
                _reconnectTimer = null;
                if (_queued.Count > 0 && _state == State.Disconnected && !_disposed)
                {
                    ConnectUnlessReporting();
                }
            });
        }

        var notices = new List<Notice>(lost.Count + aborted.Count + (confirmed?.Count ?? 0) + 2);
        foreach (var command in confirmed ?? [])
        {
            notices.Add(new(() => Complete(command, null, null), AnswersCommand: true));
        }

        if (error is not null)
        {
            notices.Add(new(() => _onError(error)));
        }

        foreach (var subscription in lost)
        {
            var lostError = Errors.SubscriptionLost(subscription.Id, error!);
            notices.Add(new(subscription.OnReceipt is { } onReceipt ? () => onReceipt(null, lostError) : () => _onError(lostError)));
        }

        foreach (var command in aborted)
        {
            // The command whose receipt timed out hears the timeout itself; the others, that it ended their connection.
            var answer = command.Sequence == timedOut
                ? Errors.WithDoubt(error!, command.MayHaveBeenDelivered)
                : Errors.OperationAborted(command.Name, error!, command.MayHaveBeenDelivered);
            notices.Add(new(() => Complete(command, null, answer), AnswersCommand: true));
        }

        if (wasConnected)
        {
            notices.Add(new(() => OnDisconnect?.Invoke()));
        }

        if (last is not null)
        {
            // The DISCONNECT's own answer: cut off by a Dispose, it is warned about like the rest.
            notices.Add(new(last, AnswersCommand: true));
        }

        _failuresReporting++;
        Notify(notices, 0);
    }

    /// <summary>
    /// Connects, unless the end of the last connection is still being reported: then once
    /// its last callback has run. A command issued from a failure callback would otherwise
    /// open the next connection while a callback that threw holds the rest of the report
    /// back, and the new connection's on_connect could come before the old one's
    /// on_disconnect. In the original the report ends before the connect can answer.
    /// </summary>
    private void ConnectUnlessReporting()
    {
        if (_failuresReporting > 0)
        {
            _connectWhenReported = true;
            return;
        }

        Connect();
    }

    private void Reported()
    {
        if (--_failuresReporting == 0 && _connectWhenReported)
        {
            _connectWhenReported = false;
            if (!_disposed && _state == State.Disconnected && _queued.Count > 0 && _reconnectTimer is null)
            {
                Connect();
            }
        }
    }

    /// <summary>
    /// Runs the failure callbacks in order. The commands they answer are already gone from
    /// the client, so when one throws, the rest run on the next pass instead of never.
    /// Once a callback disposed the client, the rest are not called: the aborted commands
    /// among them get Dispose's warning instead, as the commands it found pending did.
    /// </summary>
    private void Notify(List<Notice> notices, int from)
    {
        for (var i = from; i < notices.Count; i++)
        {
            if (_disposed && !notices[i].AnswersCommand)
            {
                continue;
            }

            try
            {
                notices[i].Run();
            }
            catch
            {
                // Even after the last one: the report is over only when the rest has run.
                NotifyLater(notices, i + 1);
                throw;
            }
        }

        Reported();
    }

    private void NotifyLater(List<Notice> notices, int from) => _loop.Postpone(() => Notify(notices, from));

    /// <summary>
    /// Takes off the receipt-less commands whose frames were handed to the socket and whose
    /// confirmation has not run yet, in order; null when there are none.
    /// </summary>
    private List<PendingCommand>? TakeWrittenConfirmations()
    {
        List<PendingCommand>? confirmed = null;
        var written = _handle?.BytesWritten ?? long.MinValue;
        while (_unwritten.TryPeek(out var head) && head.Mark <= written)
        {
            _unwritten.Dequeue();
            (confirmed ??= []).Add(head.Command);
        }

        return confirmed;
    }

    /// <summary>
    /// Every command not yet answered, in the order issued, removed from the client; each
    /// says whether its whole frame had been handed to the socket (a receipt-less one
    /// still here had not: its confirmation would have come first).
    /// </summary>
    private List<PendingCommand> DrainPending()
    {
        var pending = new List<PendingCommand>(_queued.Count + _unwritten.Count + _awaitingReceipt.Count);
        var written = _handle?.BytesWritten ?? long.MinValue;
        pending.AddRange(_unwritten.Select(u => u.Command));
        pending.AddRange(_awaitingReceipt.Values.Select(r => r.Command with { MayHaveBeenDelivered = r.Command.Mark > 0 && r.Command.Mark <= written }));
        pending.AddRange(_queued);
        _unwritten.Clear();
        _awaitingReceipt.Clear();
        _queued.Clear();
        _deadlines.Clear();
        pending.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return pending;
    }

    private void CloseConnection()
    {
        _state = State.Disconnected;
        _failAfterRead = null;
        _handshakeTimer?.Dispose();
        _beatTimer?.Dispose();
        _handshakeTimer = _beatTimer = null;
        if (_handle is { } handle)
        {
            _handle = null;
            handle.Linger = 0;
            handle.Dispose();
        }

        _reader = null;
    }

    /// <summary>A header's value after precedence: the call's own, else the command's default, else the global default.</summary>
    private string? Lookup(string header, CommandParams own, (string Name, string Value)[]? commandHeaders) =>
        own[header] ?? Find(commandHeaders, header) ?? Find(_defaultHeaders, header);

    private static string? Find((string Name, string Value)[]? headers, string name)
    {
        if (headers is null)
        {
            return null;
        }

        foreach (var (header, value) in headers)
        {
            if (header == name)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Whether a command will carry a <c>receipt</c> header when it is written: its own or a default one, or one the client adds.</summary>
    private bool AsksReceipt(string name, CommandParams parameters)
    {
        if (name is StompCommands.Subscribe or StompCommands.Unsubscribe or StompCommands.Disconnect)
        {
            return true;
        }

        _commandHeaders.TryGetValue(name, out var commandHeaders);
        return Lookup("receipt", parameters, commandHeaders) is not null;
    }

    /// <summary>Whether a watched command still waits: one answered out of turn stays in the deadline queue for a while.</summary>
    private bool IsAwaited(ReceiptDeadlines.Entry entry) => entry.ReceiptId is { } id
        ? _awaitingReceipt.TryGetValue(id, out var awaited) && awaited.Command.Sequence == entry.Sequence

        // Unwritten: the queue is in issue order and is only ever taken from its head.
        : _queued.TryPeek(out var first) && first.Sequence <= entry.Sequence;

    /// <summary>
    /// A command's receipt did not come in time. The server holds it, and perhaps everything
    /// after it; a RECEIPT coming later must not answer anything: the connection is given up
    /// as after a read timeout, and the command hears the timeout itself.
    /// </summary>
    private void ReceiptTimedOut(ReceiptDeadlines.Entry entry)
    {
        var name = entry.ReceiptId is { } id
            ? _awaitingReceipt[id].Command.Name
            : _queued.First(c => c.Sequence == entry.Sequence).Name;
        Disconnect(Errors.ReceiptTimedOut(name, entry.ReceiptId, Host, Port, entry.Seconds), timedOut: entry.Sequence);
    }

    /// <summary>One callback of a failure sequence; those answering an aborted command go through <see cref="Complete"/>.</summary>
    private readonly record struct Notice(Action Run, bool AnswersCommand = false);

    /// <summary>
    /// A command on its way: its parameters, the callback chosen at the call (the trailing
    /// one, else <c>on_receipt</c>), its place in issue order, how long it may wait for a
    /// receipt (seconds, 0 for ever) and, once watched, until when.
    /// </summary>
    private readonly record struct PendingCommand(string Name, CommandParams Parameters, Action<Frame?, StompError?>? ReplyTo, long Sequence, double Timeout, double Deadline = 0)
    {
        /// <summary>For a command awaiting its RECEIPT: <see cref="Handle.BytesQueued"/> just after its frame, 0 before it is written.</summary>
        public long Mark { get; init; }

        /// <summary>Set when the command is aborted: its whole frame had been handed to the socket.</summary>
        public bool MayHaveBeenDelivered { get; init; }
    }
}
