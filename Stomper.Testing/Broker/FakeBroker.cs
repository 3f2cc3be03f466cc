using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// A STOMP broker for tests, on 127.0.0.1 and a port of its own, that tests script: by
/// default a small correct STOMP 1.0-1.2 broker (sessions, subscriptions, topic-style
/// delivery, receipts, transactions, heart-beats); on demand it refuses, ignores,
/// rejects logins, answers ERROR, goes silent, holds receipts, dies mid-stream, floods
/// or discards.
/// </summary>
/// <remarks>
/// <para>It runs its own <see cref="Loop"/> on its own background thread, built from the
/// project's <see cref="Handle"/> and frame codec only. Script methods may be called from
/// the test thread (they run on the broker thread and return once applied) or from a
/// handler (they run at once).</para>
/// <para>Inspection (<see cref="Received"/>, the counters, <see cref="FakeConnection"/>
/// properties) is safe from any thread. The waits block the calling thread, never a
/// loop, and end with a <see cref="TimeoutException"/> that says what was awaited and
/// what the broker saw instead.</para>
/// </remarks>
public sealed class FakeBroker : IDisposable
{
    // A wait re-checks its condition at least this often, so that state changed
    // without a notification (a counter, a subscription) is still seen.
    private static readonly TimeSpan WaitSlice = TimeSpan.FromMilliseconds(50);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Loop _loop = new();
    private readonly List<ReceivedFrame> _received = [];
    private readonly List<ReceivedHeartBeat> _heartBeats = [];
    private readonly List<FakeConnection> _connections = [];
    private readonly List<Exception> _faults = [];
    private readonly List<Socket> _fillers = [];
    private readonly HashSet<EndPoint> _fillerEndPoints = [];
    private readonly CommandCounts _framesReceived = new();
    private readonly CommandCounts _framesSent = new();

    // Loop-thread state: changed only through OnBrokerThread.
    private readonly List<Func<FakeConnection, Frame, bool>> _interceptors = [];
    private readonly List<(FakeConnection Connection, string ReceiptId, bool CloseAfter)> _heldReceipts = [];
    private Socket? _listener;
    private IoWatcher? _acceptWatcher;
    private bool _holdReceipts;
    private bool _discard;
    private long _messageIds;
    private long _sessions;

    private Thread? _thread;
    private AcceptMode _acceptMode = AcceptMode.Accept;
    private long _changes;
    private long _connectionsAccepted;
    private long _bytesReceived;
    private long _heartBeatsSent;
    private long _heartBeatsWithheld;
    private bool _disposed;

    /// <summary>Binds 127.0.0.1 on a free port; <see cref="Start"/> begins serving.</summary>
    public FakeBroker(FakeBrokerOptions? options = null)
    {
        Options = options ?? new FakeBrokerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(Options.Backlog);
        _loop.UnhandledException = RecordFault;
        _listener = Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>The broker's configuration.</summary>
    public FakeBrokerOptions Options { get; }

    /// <summary>The address the broker listens on.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port, chosen by the system; it stays the same across <see cref="Kill"/> and <see cref="Revive"/>.</summary>
    public int Port { get; }

    /// <summary>Time since the broker was made, on the monotonic clock that stamps <see cref="Received"/> and <see cref="HeartBeatsReceived"/>.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Every frame received, in order, with its connection (SENDs excepted in <see cref="Discard"/> mode).</summary>
    public IReadOnlyList<ReceivedFrame> Received => Locked(() => _received.ToArray());

    /// <summary>Every run of heart-beat EOLs received between frames, in order.</summary>
    public IReadOnlyList<ReceivedHeartBeat> HeartBeatsReceived => Locked(() => _heartBeats.ToArray());

    /// <summary>Every connection accepted so far, open or closed, in accept order.</summary>
    public IReadOnlyList<FakeConnection> Connections => Locked(() => _connections.ToArray());

    /// <summary>The receipt ids held by <see cref="HoldReceipts"/>, in the order they were due.</summary>
    public IReadOnlyList<string> HeldReceipts => Locked(() => _heldReceipts.Select(r => r.ReceiptId).ToArray());

    /// <summary>Exceptions thrown on the broker thread (by a handler, say); every wait fails while there is one.</summary>
    public IReadOnlyList<Exception> Faults => Locked(() => _faults.ToArray());

    /// <summary>How new connections are treated now.</summary>
    public AcceptMode AcceptMode => Locked(() => _acceptMode);

    /// <summary>TCP connections accepted (including those closed at once by <see cref="AcceptMode.AcceptAndClose"/>).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Bytes received from all clients.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Heart-beat EOLs sent to all clients.</summary>
    public long HeartBeatsSent => Interlocked.Read(ref _heartBeatsSent);

    /// <summary>Heart-beats due while silent and therefore not sent.</summary>
    public long HeartBeatsWithheld => Interlocked.Read(ref _heartBeatsWithheld);

    internal object Gate { get; } = new();

    /// <summary>True while the broker thread runs; tests check that <see cref="Dispose"/> leaves none behind.</summary>
    internal bool ThreadAlive => _thread?.IsAlive == true;

    /// <summary>True while <see cref="GoSilent"/> holds every connection's answers. Broker thread.</summary>
    internal bool SilentAll { get; private set; }

    /// <summary>Set by <see cref="FloodOnSubscribe"/>. Broker thread.</summary>
    internal (long Count, int BodySize)? FloodPlan { get; private set; }

    /// <summary>Frames of <paramref name="command"/> (e.g. <c>SEND</c>) received from all clients, stored or not.</summary>
    public long FramesReceived(string command) => _framesReceived[command];

    /// <summary>Frames of <paramref name="command"/> (e.g. <c>MESSAGE</c>) sent to clients by the broker (not counting <c>SendRaw</c>).</summary>
    public long FramesSent(string command) => _framesSent[command];

    /// <summary>The frames of one command received so far.</summary>
    public IReadOnlyList<ReceivedFrame> ReceivedBy(string command) => Locked(() => _received.Where(r => r.Command == command).ToArray());

    /// <summary>The connection with this index; throws if there is none yet (see <see cref="WaitForConnection"/>).</summary>
    public FakeConnection Connection(int index) => Locked(() => index < _connections.Count
        ? _connections[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"The broker has accepted {_connections.Count} connection(s)"));

    /// <summary>Starts the broker thread. Returns this broker, for <c>using var broker = new FakeBroker().Start();</c>.</summary>
    public FakeBroker Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null)
        {
            throw new InvalidOperationException("The broker is already started");
        }

        ApplyAcceptMode(_acceptMode);
        _thread = new Thread(_loop.Run) { IsBackground = true, Name = $"FakeBroker:{Port}" };
        _thread.Start();
        return this;
    }

    /// <summary>Stops the broker thread and closes the listener and every connection; no thread is left behind.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        CloseFillers();
        if (_thread is not null)
        {
            OnBrokerThread(() =>
            {
                ShutDown();
                _loop.Stop();
            });
            if (!_thread.Join(Options.DefaultTimeout))
            {
                throw new TimeoutException($"FakeBroker on port {Port}: the broker thread did not stop within {Options.DefaultTimeout.TotalSeconds} s; a handler may be blocking it.");
            }
        }
        else
        {
            ShutDown();
        }

        _disposed = true;
        _loop.Dispose();
    }

    // ---- Waits ---------------------------------------------------------------------

    /// <summary>
    /// Blocks the calling thread until <paramref name="condition"/> holds; throws a
    /// <see cref="TimeoutException"/> naming <paramref name="description"/> after the
    /// timeout (<see cref="FakeBrokerOptions.DefaultTimeout"/> by default), and fails at
    /// once when the broker thread has faulted.
    /// </summary>
    public void WaitFor(Func<FakeBroker, bool> condition, string description, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? Options.DefaultTimeout;
        var started = Stopwatch.StartNew();
        while (true)
        {
            long seen;
            lock (Gate)
            {
                ThrowIfFaulted();
                seen = _changes;
            }

            // Evaluated outside the lock: a condition may inspect anything.
            if (condition(this))
            {
                return;
            }

            var left = limit - started.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"FakeBroker on port {Port}: gave up after {limit.TotalMilliseconds:0} ms waiting for {description}. {Describe()}");
            }

            lock (Gate)
            {
                if (_changes == seen)
                {
                    Monitor.Wait(Gate, left < WaitSlice ? left : WaitSlice);
                }
            }
        }
    }

    /// <summary>Waits for the first received frame of <paramref name="command"/> that satisfies <paramref name="where"/>, and returns it.</summary>
    public ReceivedFrame WaitForFrame(string command, Func<ReceivedFrame, bool>? where = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ReceivedFrame? found = null;
        WaitFor(
            _ => (found = Received.FirstOrDefault(r => r.Command == command && (where is null || where(r)))) is not null,
            where is null ? $"a {command} frame" : $"a {command} frame that matches the test's condition",
            timeout);
        return found!;
    }

    /// <summary>Waits until the connection with this index has been accepted, and returns it.</summary>
    public FakeConnection WaitForConnection(int index = 0, TimeSpan? timeout = null)
    {
        WaitFor(_ => Locked(() => _connections.Count > index), $"connection #{index}", timeout);
        return Connection(index);
    }

    /// <summary>Waits until <paramref name="count"/> heart-beat EOLs have arrived (on one connection, or any), and returns those records.</summary>
    public IReadOnlyList<ReceivedHeartBeat> WaitForHeartBeats(int count, int? connection = null, TimeSpan? timeout = null)
    {
        IReadOnlyList<ReceivedHeartBeat> beats = [];
        WaitFor(
            _ => (beats = HeartBeatsReceived.Where(b => connection is null || b.Connection == connection).ToArray()).Sum(b => b.Eols) >= count,
            $"{count} heart-beat(s)" + (connection is null ? string.Empty : $" on connection #{connection}"),
            timeout);
        return beats;
    }

    // ---- Script --------------------------------------------------------------------

    /// <summary>
    /// Changes how new connections are treated: <see cref="AcceptMode.Refuse"/> closes the
    /// listener, <see cref="AcceptMode.Ignore"/> stops accepting and fills the backlog,
    /// <see cref="AcceptMode.Accept"/> serves again (listening anew on the same port).
    /// Connections already open are not touched.
    /// </summary>
    public FakeBroker SetAcceptMode(AcceptMode mode)
    {
        if (mode != AcceptMode.Ignore)
        {
            // Before the listener accepts again, so that the queued fillers come out closed and are recognised.
            CloseFillers();
        }

        OnBrokerThread(() => ApplyAcceptMode(mode));
        if (mode == AcceptMode.Ignore)
        {
            FillBacklog();
        }

        return this;
    }

    /// <summary>Answers every CONNECT (and STOMP) with ERROR (<c>message</c> header, text body) and closes, as on a failed login.</summary>
    public FakeBroker RejectConnect(string message, string body = "")
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(body);
        return Intercept((connection, frame) =>
        {
            if (frame.Command is not (StompCommands.Connect or StompCommands.Stomp))
            {
                return false;
            }

            connection.Fail(message, body, null);
            return true;
        });
    }

    /// <summary>Accepts only CONNECTs with this login and passcode; others get RabbitMQ's ERROR <c>Bad CONNECT</c> and are closed.</summary>
    public FakeBroker RequireLogin(string login, string passcode)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(passcode);
        return Intercept((connection, frame) =>
        {
            if (frame.Command is not (StompCommands.Connect or StompCommands.Stomp)
                || (frame.Headers["login"] == login && frame.Headers["passcode"] == passcode))
            {
                return false;
            }

            connection.Fail("Bad CONNECT", $"Access refused for user '{frame.Headers["login"]}'", null);
            return true;
        });
    }

    /// <summary>
    /// Answers every <paramref name="command"/> frame (to <paramref name="destination"/>, when
    /// given) with ERROR carrying the frame's receipt as <c>receipt-id</c>, the
    /// <c>message</c> header and a text body, then closes the connection (unless
    /// <see cref="FakeBrokerOptions.CloseAfterError"/> is off and the session is open). The
    /// frame takes no effect.
    /// </summary>
    public FakeBroker ErrorOn(string command, string? destination = null, string message = "Operation failed", string body = "")
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(body);
        return Intercept((connection, frame) =>
        {
            if (frame.Command != command || (destination is not null && frame.Headers["destination"] != destination))
            {
                return false;
            }

            connection.Refuse(message, body, frame);
            return true;
        });
    }

    /// <summary>
    /// Adds a handler that sees every frame (after it is recorded) before the default
    /// behaviour; returning true means handled, and the default does nothing. Handlers run
    /// on the broker thread, in the order added; the first that returns true wins.
    /// </summary>
    public FakeBroker Intercept(Func<FakeConnection, Frame, bool> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        OnBrokerThread(() => _interceptors.Add(handler));
        return this;
    }

    /// <summary>Removes every handler added by <see cref="Intercept(Func{FakeConnection, Frame, bool})"/>, <see cref="ErrorOn"/>, <see cref="RejectConnect"/>, <see cref="RequireLogin"/> and <see cref="KillAfter"/>.</summary>
    public FakeBroker ClearInterceptors()
    {
        OnBrokerThread(_interceptors.Clear);
        return this;
    }

    /// <summary>Once <paramref name="frames"/> frames (of <paramref name="command"/>, when given) have arrived, dies at the last one without answering it (see <see cref="Kill"/>).</summary>
    public FakeBroker KillAfter(int frames, string? command = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        var seen = 0;
        return Intercept((_, frame) =>
        {
            if ((command is not null && frame.Command != command) || ++seen < frames)
            {
                return false;
            }

            KillNow();
            return true;
        });
    }

    /// <summary>Dies: closes every connection abruptly and the listener, so that reconnects are refused. <see cref="Revive"/> listens again.</summary>
    public void Kill() => OnBrokerThread(KillNow);

    /// <summary>Listens and accepts again on the same port after <see cref="Kill"/>.</summary>
    public FakeBroker Revive() => SetAcceptMode(AcceptMode.Accept);

    /// <summary>Stops answering every client and beating, keeping sockets open and frames arriving; answers wait, in order, until <see cref="Resume"/>.</summary>
    public FakeBroker GoSilent()
    {
        OnBrokerThread(() => SilentAll = true);
        return this;
    }

    /// <summary>Ends <see cref="GoSilent"/>: sends what was held and carries on.</summary>
    public FakeBroker Resume()
    {
        OnBrokerThread(() =>
        {
            SilentAll = false;
            foreach (var connection in _connections)
            {
                connection.ReleaseHeld();
            }
        });
        return this;
    }

    /// <summary>Holds every RECEIPT (and the close that follows a DISCONNECT's) until <see cref="ReleaseReceipts"/>.</summary>
    public FakeBroker HoldReceipts()
    {
        OnBrokerThread(() => _holdReceipts = true);
        return this;
    }

    /// <summary>Sends the held RECEIPTs, in the order they were due or in reverse, and stops holding.</summary>
    public FakeBroker ReleaseReceipts(bool reverse = false)
    {
        OnBrokerThread(() =>
        {
            _holdReceipts = false;
            var held = _heldReceipts.ToArray();
            Publish(_heldReceipts.Clear);
            foreach (var (connection, receiptId, closeAfter) in reverse ? held.Reverse() : held)
            {
                connection.AnswerReceipt(receiptId, closeAfter);
            }
        });
        return this;
    }

    /// <summary>Sends one held RECEIPT now, leaving the others held.</summary>
    public FakeBroker ReleaseReceipt(string receiptId)
    {
        ArgumentNullException.ThrowIfNull(receiptId);
        OnBrokerThread(() =>
        {
            var index = _heldReceipts.FindIndex(r => r.ReceiptId == receiptId);
            if (index < 0)
            {
                throw new InvalidOperationException($"No RECEIPT \"{receiptId}\" is held; held: {string.Join(", ", _heldReceipts.Select(r => r.ReceiptId))}");
            }

            var (connection, _, closeAfter) = _heldReceipts[index];
            Publish(() => _heldReceipts.RemoveAt(index));
            connection.AnswerReceipt(receiptId, closeAfter);
        });
        return this;
    }

    /// <summary>
    /// For benchmarks: SENDs are counted (<see cref="FramesReceived"/>) and receipted but
    /// neither stored in <see cref="Received"/> nor delivered; everything else as usual.
    /// </summary>
    public FakeBroker Discard(bool on = true)
    {
        OnBrokerThread(() => _discard = on);
        return this;
    }

    /// <summary>
    /// For benchmarks: after each SUBSCRIBE from now on, sends <paramref name="count"/> MESSAGE
    /// frames with a body of <paramref name="bodySize"/> bytes to it, as fast as the socket
    /// takes them, the write buffer held to a bounded size.
    /// </summary>
    public FakeBroker FloodOnSubscribe(long count, int bodySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(bodySize);
        OnBrokerThread(() => FloodPlan = (count, bodySize));
        return this;
    }

    /// <summary>Sends bytes to a client exactly as given (see <see cref="FakeConnection.SendRaw(ReadOnlySpan{byte})"/>).</summary>
    public void SendRaw(FakeConnection connection, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.SendRaw(bytes);
    }

    /// <summary>Sends text (UTF-8) to a client exactly as given.</summary>
    public void SendRaw(FakeConnection connection, string text)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.SendRaw(text);
    }

    /// <summary>Sends bytes exactly as given to the connection with this index.</summary>
    public void SendRaw(int connection, ReadOnlySpan<byte> bytes) => Connection(connection).SendRaw(bytes);

    /// <summary>Sends text (UTF-8) exactly as given to the connection with this index.</summary>
    public void SendRaw(int connection, string text) => Connection(connection).SendRaw(text);

    /// <summary>Closes the connection with this index at once (see <see cref="FakeConnection.Drop"/>).</summary>
    public void Drop(int connection, bool reset = false) => Connection(connection).Drop(reset);

    /// <summary>
    /// Runs <paramref name="action"/> on the broker thread and returns when it has run,
    /// rethrowing what it threw; from the broker thread itself (a handler), runs it at once.
    /// </summary>
    public void OnBrokerThread(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is null || _loop.IsLoopThread)
        {
            action();
            return;
        }

        Exception? failure = null;
        var done = new ManualResetEventSlim();
        _loop.Post(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                done.Set();
            }
        });
        if (!done.Wait(Options.DefaultTimeout))
        {
            // Not disposed: the broker thread may still set it.
            throw new TimeoutException($"FakeBroker on port {Port}: the broker thread did not run a script step within {Options.DefaultTimeout.TotalSeconds} s; a handler may be blocking it.");
        }

        done.Dispose();
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    // ---- Called by connections, on the broker thread ---------------------------------

    internal void Publish(Action change)
    {
        lock (Gate)
        {
            change();
            _changes++;
            Monitor.PulseAll(Gate);
        }
    }

    internal void Changed() => Publish(static () => { });

    internal void CountBytes(int count) => Interlocked.Add(ref _bytesReceived, count);

    internal void CountSent(string command, long count = 1) => _framesSent.Add(command, count);

    internal void CountHeartBeatSent() => Interlocked.Increment(ref _heartBeatsSent);

    internal void CountHeartBeatWithheld()
    {
        Interlocked.Increment(ref _heartBeatsWithheld);
        Changed();
    }

    internal string NextSession() => $"session-{Port}-{++_sessions}";

    internal void RecordFrame(FakeConnection connection, Frame frame)
    {
        _framesReceived.Add(frame.Command);
        if (_discard && frame.Command == StompCommands.Send)
        {
            return;
        }

        Publish(() => _received.Add(new ReceivedFrame(connection.Index, frame, _clock.Elapsed)));
    }

    internal void RecordHeartBeat(FakeConnection connection, int eols) =>
        Publish(() => _heartBeats.Add(new ReceivedHeartBeat(connection.Index, _clock.Elapsed, eols)));

    internal bool Intercept(FakeConnection connection, Frame frame)
    {
        // By index: a handler may add or clear handlers.
        for (var i = 0; i < _interceptors.Count && connection.IsOpenOnLoop; i++)
        {
            if (_interceptors[i](connection, frame))
            {
                return true;
            }
        }

        return false;
    }

    internal void Receipt(FakeConnection connection, string receiptId, bool closeAfter)
    {
        if (_holdReceipts)
        {
            Publish(() => _heldReceipts.Add((connection, receiptId, closeAfter)));
            return;
        }

        connection.AnswerReceipt(receiptId, closeAfter);
    }

    /// <summary>Topic-style: every subscription to the destination, on every connection, gets a copy.</summary>
    internal void Deliver(Frame send)
    {
        if (_discard)
        {
            return;
        }

        var destination = send.Headers["destination"]!;
        foreach (var connection in _connections)
        {
            if (connection.IsOpenOnLoop && connection.HasSubscriptionTo(destination, out var subscriptions))
            {
                foreach (var subscription in subscriptions)
                {
                    connection.DeliverMessage(subscription, send, $"m-{Port}-{++_messageIds}");
                }
            }
        }
    }

    // ---- Private -------------------------------------------------------------------

    private Socket Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Listening again on our own port after Kill, while its old connections sit in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(Options.Backlog);
            listener.Blocking = false;
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private void ApplyAcceptMode(AcceptMode mode)
    {
        if (mode == AcceptMode.Refuse)
        {
            _acceptWatcher?.Dispose();
            _acceptWatcher = null;
            _listener?.Dispose();
            _listener = null;
        }
        else
        {
            _listener ??= Listen(Port);
            if (mode == AcceptMode.Ignore)
            {
                _acceptWatcher?.Dispose();
                _acceptWatcher = null;
            }
            else if (_acceptWatcher is null)
            {
                var listener = _listener;
                _acceptWatcher = _loop.Io(listener, IoDirection.Read, () => AcceptAll(listener));

                // Empty a queue left full by Ignore before the caller goes on, so that
                // its next connect is not dropped by a queue still full of fillers.
                AcceptAll(listener);
            }
        }

        Publish(() => _acceptMode = mode);
    }

    private void AcceptAll(Socket listener)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                return;
            }

            if (IsFiller(accepted))
            {
                accepted.Dispose();
                continue;
            }

            Interlocked.Increment(ref _connectionsAccepted);
            if (_acceptMode == AcceptMode.AcceptAndClose)
            {
                accepted.Dispose();
                Changed();
                continue;
            }

            Publish(() => _connections.Add(new FakeConnection(this, _loop, accepted, _connections.Count)));
        }
    }

    private bool IsFiller(Socket accepted)
    {
        lock (Gate)
        {
            return _fillerEndPoints.Count > 0 && _fillerEndPoints.Remove(accepted.RemoteEndPoint!);
        }
    }

    /// <summary>
    /// Connects to ourselves until a connect is no longer completed: the accept queue is
    /// then full and the kernel drops further handshakes, so a client's connect hangs.
    /// </summary>
    private void FillBacklog()
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, Port);
        for (var i = 0; i <= Options.Backlog + 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(endPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // Connecting; completion is polled below.
            }

            lock (Gate)
            {
                _fillers.Add(filler);
                _fillerEndPoints.Add(filler.LocalEndPoint!);
            }

            // A loopback handshake completes at once unless the queue is full.
            if (!filler.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectWrite))
            {
                return;
            }
        }

        throw new InvalidOperationException($"FakeBroker on port {Port}: {Options.Backlog + 9} connects all completed; the backlog of {Options.Backlog} never filled.");
    }

    private void CloseFillers()
    {
        lock (Gate)
        {
            _fillers.ForEach(f => f.Dispose());
            _fillers.Clear();
        }
    }

    private void KillNow()
    {
        // Refusing first: a client that sees its connection die (on another thread, at once)
        // must find the broker dead already, both for its reconnect and for AcceptMode.
        ApplyAcceptMode(AcceptMode.Refuse);
        foreach (var connection in _connections)
        {
            connection.DropNow(reset: false);
        }
    }

    private void ShutDown()
    {
        KillNow();
        Publish(_heldReceipts.Clear);
    }

    private void RecordFault(Exception e) => Publish(() => _faults.Add(e));

    private void ThrowIfFaulted()
    {
        if (_faults.Count > 0)
        {
            throw new InvalidOperationException($"FakeBroker on port {Port}: the broker thread faulted: {_faults[0]}", _faults[0]);
        }
    }

    private string Describe() => Locked(() =>
        $"Received: {_framesReceived}; sent: {_framesSent}; heart-beats received: {_heartBeats.Sum(b => b.Eols)}; " +
        $"connections accepted: {_connectionsAccepted} ({_connections.Count(c => c.IsOpen)} open); accept mode: {_acceptMode}; " +
        $"last frames: [{string.Join(", ", _received.TakeLast(5))}].");

    private T Locked<T>(Func<T> read)
    {
        lock (Gate)
        {
            return read();
        }
    }
}
