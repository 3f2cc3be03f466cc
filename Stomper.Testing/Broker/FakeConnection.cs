using System.Net.Sockets;
using System.Text;
using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// One client connection of a <see cref="FakeBroker"/>: a <see cref="Handle"/> over the
/// accepted socket, a client-side <see cref="FrameReader"/>, and the session's STOMP state
/// (subscriptions, open transactions, negotiated version and heart-beats).
/// </summary>
/// <remarks>
/// Everything here runs on the broker's loop thread. The public members may be called
/// from any thread: the properties read state published under the broker's lock, and the
/// actions run on the loop thread (at once from a script handler, else handed over and
/// waited for).
/// </remarks>
public sealed class FakeConnection
{
    // A flood refills the write buffer up to this mark and waits for it to drain: the
    // fake's memory stays bounded however slowly the client reads.
    private const int FloodHighWater = 256 * 1024;

    // A broker closing after ERROR waits this long for the client's end-of-file.
    private const double GracefulCloseSeconds = 2;

    private readonly FakeBroker _broker;
    private readonly Loop _loop;
    private readonly SocketTransport _transport;
    private readonly TlsTransport? _tls;
    private readonly Handle _handle;
    private readonly FrameReader _reader = new(FrameSource.Client);
    private readonly Dictionary<string, FakeSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Frame>> _transactions = new(StringComparer.Ordinal);
    private readonly Queue<Action> _heldAnswers = new();
    private readonly Queue<MessageFlood> _floods = new();
    private TimerWatcher? _beatTimer;
    private TimerWatcher? _closeTimer;
    private int _unconsumed;
    private bool _silent;
    private bool _pumping;
    private bool _drainedWhilePumping;
    private int _floodCount;

    // Published to other threads under the broker's lock.
    private State _state = State.Open;
    private StompVersion _version = StompVersion.V1_0;
    private string? _session;
    private FrameHeaders? _connectHeaders;
    private int _clientBeatSend;
    private int _clientBeatReceive;
    private int _brokerBeatInterval;
    private string? _closeReason;

    internal FakeConnection(FakeBroker broker, Loop loop, Socket accepted, int index)
    {
        _broker = broker;
        _loop = loop;
        Index = index;
        _transport = new SocketTransport(loop, accepted);
        if (broker.Options.Tls is { } tls)
        {
            // The handle runs the handshake as its connect; the connection keeps the TLS
            // layer to send a close_notify before it half-closes.
            var tlsTransport = new TlsTransport(loop, _transport, TlsMode.Accept, tls, innerConnected: true);
            _tls = tlsTransport;
            _handle = new Handle(loop, new HandleOptions
            {
                Host = "client",
                Port = 1,
                Transport = _ => tlsTransport,
                NoDelay = true,
                OnRead = OnRead,
                // The reason names the TLS failure itself ("TLS handshake failed: ...",
                // "TLS certificate verification failed ...").
                OnConnectError = (_, reason) => Teardown(reason),
                OnEof = _ => Teardown("closed by the client"),
                OnError = (_, _, message) => Teardown("socket error: " + message),
            });
            return;
        }

        _handle = new Handle(loop, _transport, new HandleOptions
        {
            NoDelay = true,
            OnRead = OnRead,
            OnEof = _ => Teardown("closed by the client"),
            OnError = (_, _, message) => Teardown("socket error: " + message),
        });
    }

    private enum State
    {
        Open,
        Closing,
        Closed,
    }

    /// <summary>The connection's number, in accept order from 0.</summary>
    public int Index { get; }

    /// <summary>The negotiated version (1.0 until CONNECTED is sent).</summary>
    public StompVersion Version => Read(() => _version);

    /// <summary>True once CONNECTED was sent and until the connection closes.</summary>
    public bool IsConnected => Read(() => _session is not null && _state == State.Open);

    /// <summary>True until the socket is closed, by either side.</summary>
    public bool IsOpen => Read(() => _state != State.Closed);

    /// <summary>Why the connection closed (for example <c>closed by the client</c>), or null while open.</summary>
    public string? CloseReason => Read(() => _closeReason);

    /// <summary>The <c>session</c> sent in CONNECTED, or null before.</summary>
    public string? Session => Read(() => _session);

    /// <summary>The headers of the CONNECT (or STOMP) frame that opened the session: <c>login</c>, <c>host</c>, ...</summary>
    public FrameHeaders? ConnectHeaders => Read(() => _connectHeaders);

    /// <summary>cx of the client's <c>heart-beat</c>: the interval at which it says it can send.</summary>
    public int ClientHeartBeatSend => Read(() => _clientBeatSend);

    /// <summary>cy of the client's <c>heart-beat</c>: the interval at which it wants beats.</summary>
    public int ClientHeartBeatReceive => Read(() => _clientBeatReceive);

    /// <summary>The interval in ms at which the broker beats to this client: max(sx, cy) when both are above 0, else 0.</summary>
    public int BrokerHeartBeatInterval => Read(() => _brokerBeatInterval);

    /// <summary>The client's live subscriptions.</summary>
    public IReadOnlyList<FakeSubscription> Subscriptions => Read(() => _subscriptions.Values.ToArray());

    /// <summary>True while the broker holds this connection's answers (see <see cref="GoSilent"/>).</summary>
    internal bool IsSilent => _silent || _broker.SilentAll;

    internal bool IsOpenOnLoop => _state == State.Open;

    /// <summary>Bytes waiting in the write buffer. Broker thread.</summary>
    internal int PendingWriteBytes => _state == State.Closed ? 0 : _handle.WriteBufferLength;

    /// <summary>Sends a frame now, encoded for the negotiated version, even while silent.</summary>
    public void Send(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _broker.OnBrokerThread(() => Write(frame));
    }

    /// <summary>Sends bytes exactly as given (a malformed frame, a stray RECEIPT, ...), even while silent.</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        _broker.OnBrokerThread(() =>
        {
            if (_state != State.Closed)
            {
                _handle.PushWrite(copy);
            }
        });
    }

    /// <summary>Sends the UTF-8 bytes of <paramref name="text"/> exactly as given.</summary>
    public void SendRaw(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        SendRaw(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Sends ERROR (<c>message</c> header, optional <c>receipt-id</c>, text body) and closes, as a broker does (unless <see cref="FakeBrokerOptions.CloseAfterError"/> is off and the session is open).</summary>
    public void SendError(string message, string body = "", string? receiptId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(body);
        _broker.OnBrokerThread(() =>
        {
            Write(StompServerFrames.Error(message, body, receiptId));
            if (ClosesAfterError)
            {
                BeginClose();
            }
        });
    }

    /// <summary>Closes the socket at once, dropping anything unsent; with <paramref name="reset"/> the client sees a reset (RST) instead of end-of-file.</summary>
    public void Drop(bool reset = false) => _broker.OnBrokerThread(() => DropNow(reset));

    /// <summary>Stops answering this client and beating to it (the socket stays open); answers wait until <see cref="Resume"/>.</summary>
    public void GoSilent() => _broker.OnBrokerThread(() => _silent = true);

    /// <summary>Sends the answers held while silent, in order, and carries on normally.</summary>
    public void Resume() => _broker.OnBrokerThread(() =>
    {
        _silent = false;
        ReleaseHeld();
    });

    /// <inheritdoc/>
    public override string ToString() => $"connection #{Index}";

    internal void ReleaseHeld()
    {
        while (_heldAnswers.Count > 0 && !IsSilent)
        {
            _heldAnswers.Dequeue()();
        }

        if (!IsSilent && _floods.Count > 0)
        {
            Pump();
        }
    }

    internal void DropNow(bool reset)
    {
        if (_state == State.Closed)
        {
            return;
        }

        if (reset && _transport.Socket is { } socket)
        {
            socket.LingerState = new LingerOption(true, 0);
        }

        Teardown(reset ? "reset by the broker" : "dropped by the broker");
    }

    /// <summary>An automatic answer: held while silent, dropped once the connection is closing.</summary>
    internal void Answer(Frame frame)
    {
        if (_state != State.Open)
        {
            return;
        }

        if (IsSilent)
        {
            _heldAnswers.Enqueue(() => Answer(frame));
            return;
        }

        Write(frame);
    }

    /// <summary>Closes after what was answered so far has gone out; held in order while silent.</summary>
    internal void AnswerClose()
    {
        if (_state != State.Open)
        {
            return;
        }

        if (IsSilent)
        {
            _heldAnswers.Enqueue(AnswerClose);
            return;
        }

        BeginClose();
    }

    internal void AnswerReceipt(string receiptId, bool closeAfter)
    {
        Answer(StompServerFrames.Receipt(receiptId));
        if (closeAfter)
        {
            AnswerClose();
        }
    }

    /// <summary>ERROR that ends the session (a malformed frame, a refused CONNECT), naming the frame at fault by its receipt, then close: what brokers do.</summary>
    internal void Fail(string message, string body, Frame? cause)
    {
        Answer(StompServerFrames.Error(message, body, cause?.Headers["receipt"]));
        AnswerClose();
    }

    /// <summary>ERROR refusing one command, named by its receipt; then close unless the broker keeps sessions after a refusal.</summary>
    internal void Refuse(string message, string body, Frame command)
    {
        Answer(StompServerFrames.Error(message, body, command.Headers["receipt"]));
        if (ClosesAfterError)
        {
            AnswerClose();
        }
    }

    internal void DeliverMessage(FakeSubscription subscription, Frame send, string messageId) =>
        Answer(StompServerFrames.Message(subscription, messageId, _version, send.Headers, send.BodyBytes));

    internal bool HasSubscriptionTo(string destination, out FakeSubscription[] matches)
    {
        matches = _subscriptions.Values.Where(s => s.Destination == destination).ToArray();
        return matches.Length > 0;
    }

    // Before CONNECTED there is no session to keep: an ERROR then always ends the connection.
    private bool ClosesAfterError => _broker.Options.CloseAfterError || _session is null;

    private T Read<T>(Func<T> read)
    {
        lock (_broker.Gate)
        {
            return read();
        }
    }

    private void Publish(Action change) => _broker.Publish(change);

    private void Write(Frame frame)
    {
        if (_state == State.Closed)
        {
            return;
        }

        FrameWriter.Write(_handle.Writer, frame, _version);
        _handle.Commit();
        _broker.CountSent(frame.Command);
    }

    private void OnRead(Handle handle)
    {
        _broker.CountBytes(handle.ReadBuffer.Length - _unconsumed);
        if (_state != State.Open)
        {
            // Closing: whatever the client still sends is read and dropped, so that the
            // close is a FIN after our last frame and not a reset.
            handle.Consume(handle.ReadBuffer.Length);
            _unconsumed = 0;
            return;
        }

        while (_state == State.Open)
        {
            var buffer = handle.ReadBuffer;
            var result = _reader.TryRead(buffer, out var frame, out var consumed, out var error);
            if (result == FrameReadResult.NeedMoreData)
            {
                break;
            }

            if (result == FrameReadResult.Error)
            {
                Fail(error!.Message, string.Empty, null);
                break;
            }

            if (result == FrameReadResult.HeartBeat)
            {
                var eols = buffer[..consumed].Count((byte)'\n');
                handle.Consume(consumed);
                _broker.RecordHeartBeat(this, eols);
                continue;
            }

            handle.Consume(consumed);
            Process(frame!);
        }

        _unconsumed = _state == State.Closed ? 0 : handle.ReadBuffer.Length;
    }

    private void Process(Frame frame)
    {
        _broker.RecordFrame(this, frame);
        if (_broker.Intercept(this, frame) || _state != State.Open)
        {
            return;
        }

        var command = frame.Command;
        if (command is StompCommands.Connect or StompCommands.Stomp)
        {
            OnConnect(frame);
            return;
        }

        if (_session is null)
        {
            Fail("Not connected", $"{command} arrived before CONNECT.", frame);
            return;
        }

        switch (command)
        {
            case StompCommands.Send:
                OnSend(frame);
                break;
            case StompCommands.Subscribe:
                OnSubscribe(frame);
                break;
            case StompCommands.Unsubscribe:
                OnUnsubscribe(frame);
                break;
            case StompCommands.Begin:
                OnBegin(frame);
                break;
            case StompCommands.Commit:
            case StompCommands.Abort:
                OnEndTransaction(frame);
                break;
            case StompCommands.Disconnect:
                if (frame.Headers["receipt"] is { } receipt)
                {
                    _broker.Receipt(this, receipt, closeAfter: true);
                }
                else
                {
                    AnswerClose();
                }

                break;
            default:
                // ACK and NACK: recorded on arrival; nothing else to do but the receipt.
                ReceiptFor(frame);
                break;
        }
    }

    private void ReceiptFor(Frame frame)
    {
        if (frame.Headers["receipt"] is { } receipt && _state == State.Open)
        {
            _broker.Receipt(this, receipt, closeAfter: false);
        }
    }

    private void OnConnect(Frame frame)
    {
        if (_session is not null)
        {
            Fail("Already connected", "A second CONNECT on one session.", frame);
            return;
        }

        var options = _broker.Options;
        var acceptVersion = frame.Headers["accept-version"];
        if (StompServerFrames.Negotiate(acceptVersion, options.Versions) is not { } version)
        {
            Answer(StompServerFrames.UnsupportedVersion(acceptVersion, options.Versions));
            AnswerClose();
            return;
        }

        var (cx, cy) = StompServerFrames.ParseHeartBeat(frame.Headers["heart-beat"]);
        var (sx, sy) = (options.HeartBeatSend, options.HeartBeatReceive);
        var beatInterval = version >= StompVersion.V1_1 && sx > 0 && cy > 0 ? Math.Max(sx, cy) : 0;
        var session = _broker.NextSession();
        Publish(() =>
        {
            _version = version;
            _session = session;
            _connectHeaders = frame.Headers;
            _clientBeatSend = cx;
            _clientBeatReceive = cy;
            _brokerBeatInterval = beatInterval;
        });
        _reader.Version = version;

        Answer(StompServerFrames.Connected(version, acceptVersion is not null, session, options.ServerName, sx, sy));
        if (beatInterval > 0)
        {
            var seconds = beatInterval / 1000.0;
            _beatTimer = _loop.Timer(seconds, seconds, Beat);
        }
    }

    private void Beat()
    {
        if (_state != State.Open)
        {
            return;
        }

        if (IsSilent)
        {
            _broker.CountHeartBeatWithheld();
            return;
        }

        FrameWriter.WriteHeartBeat(_handle.Writer);
        _handle.Commit();
        _broker.CountHeartBeatSent();
    }

    private void OnSend(Frame frame)
    {
        if (frame.Headers["destination"] is null)
        {
            Refuse("Missing destination header", "SEND needs a destination.", frame);
            return;
        }

        if (frame.Headers["transaction"] is { } transaction)
        {
            if (!_transactions.TryGetValue(transaction, out var held))
            {
                Refuse("Invalid transaction", $"Transaction \"{transaction}\" is not open.", frame);
                return;
            }

            held.Add(frame);
        }
        else
        {
            _broker.Deliver(frame);
        }

        ReceiptFor(frame);
    }

    private void OnSubscribe(Frame frame)
    {
        var destination = frame.Headers["destination"];
        var id = frame.Headers["id"];
        var ack = frame.Headers["ack"] ?? "auto";
        if (destination is null)
        {
            Refuse("Missing destination header", "SUBSCRIBE needs a destination.", frame);
            return;
        }

        if (id is null && _version >= StompVersion.V1_1)
        {
            Refuse("Missing id header", "SUBSCRIBE needs an id from STOMP 1.1 on.", frame);
            return;
        }

        if (ack is not ("auto" or "client" or "client-individual"))
        {
            Refuse("Invalid ack mode", $"Unknown ack mode \"{ack}\".", frame);
            return;
        }

        var subscription = StompServerFrames.Subscription(frame);
        if (_subscriptions.ContainsKey(subscription.Key))
        {
            Refuse("Duplicate subscription id", $"Subscription \"{subscription.Key}\" already exists.", frame);
            return;
        }

        Publish(() => _subscriptions.Add(subscription.Key, subscription));
        ReceiptFor(frame);
        if (_broker.FloodPlan is { } plan && _state == State.Open)
        {
            _floods.Enqueue(MessageFlood.Create(subscription, _version, $"flood-{Index}-{++_floodCount}-", plan.Count, plan.BodySize));
            _handle.OnDrain = _ => Pump();
        }
    }

    private void OnUnsubscribe(Frame frame)
    {
        if (StompServerFrames.SubscriptionKey(frame) is not { } key)
        {
            Refuse("Missing id header", "UNSUBSCRIBE needs an id.", frame);
            return;
        }

        Publish(() => _subscriptions.Remove(key));
        ReceiptFor(frame);
    }

    private void OnBegin(Frame frame)
    {
        if (frame.Headers["transaction"] is not { } transaction)
        {
            Refuse("Missing transaction header", "BEGIN needs a transaction.", frame);
            return;
        }

        if (!_transactions.TryAdd(transaction, []))
        {
            Refuse("Transaction already started", $"Transaction \"{transaction}\" is already open.", frame);
            return;
        }

        ReceiptFor(frame);
    }

    private void OnEndTransaction(Frame frame)
    {
        var transaction = frame.Headers["transaction"];
        if (transaction is null || !_transactions.Remove(transaction, out var held))
        {
            Refuse("Invalid transaction", $"Transaction \"{transaction}\" is not open.", frame);
            return;
        }

        if (frame.Command == StompCommands.Commit)
        {
            foreach (var send in held)
            {
                _broker.Deliver(send);
            }
        }

        ReceiptFor(frame);
    }

    private void Pump()
    {
        // Commit can drain the buffer at once and call OnDrain from inside this method:
        // note it and go round again rather than recurse.
        if (_pumping)
        {
            _drainedWhilePumping = true;
            return;
        }

        _pumping = true;
        try
        {
            do
            {
                _drainedWhilePumping = false;
                if (_state != State.Open || IsSilent)
                {
                    return;
                }

                var written = 0;
                while (_floods.Count > 0 && _handle.WriteBufferLength < FloodHighWater)
                {
                    var flood = _floods.Peek();
                    if (!_subscriptions.TryGetValue(flood.Subscription.Key, out var live) || !ReferenceEquals(live, flood.Subscription))
                    {
                        // Unsubscribed (or the id reused by a newer SUBSCRIBE): what is already
                        // written still arrives, as from a broker, but nothing more is sent.
                        _floods.Dequeue();
                        continue;
                    }

                    flood.WriteNext(_handle.Writer);
                    written++;
                    if (flood.Done)
                    {
                        _floods.Dequeue();
                    }
                }

                _broker.CountSent(StompCommands.Message, written);
                if (_floods.Count == 0)
                {
                    _handle.OnDrain = null;
                    _broker.Changed();
                }

                _handle.Commit();
            }
            while (_drainedWhilePumping && _floods.Count > 0);
        }
        finally
        {
            _pumping = false;
        }
    }

    private void BeginClose()
    {
        if (_state != State.Open)
        {
            return;
        }

        Publish(() => _state = State.Closing);
        _beatTimer?.Dispose();
        _floods.Clear();
        _heldAnswers.Clear();
        _closeTimer = _loop.Timer(GracefulCloseSeconds, 0, () => Teardown("closed by the broker"));

        // Half-close once our last frame is out, then wait for the client's end-of-file:
        // closing outright while its frames are still arriving would reset the
        // connection and could destroy the ERROR before the client reads it.
        _handle.OnDrain = _ =>
        {
            try
            {
                if (_tls is { } tls && !_handle.IsDestroyed)
                {
                    tls.CloseNotify();
                }

                _transport.Socket?.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                Teardown("closed by the broker");
            }
        };
    }

    private void Teardown(string reason)
    {
        if (_state == State.Closed)
        {
            return;
        }

        var wasClosing = _state == State.Closing;
        Publish(() =>
        {
            _state = State.Closed;
            _closeReason = wasClosing ? "closed by the broker" : reason;
            _subscriptions.Clear();
        });
        _beatTimer?.Dispose();
        _closeTimer?.Dispose();
        _transactions.Clear();
        _heldAnswers.Clear();
        _floods.Clear();
        _handle.Linger = 0;
        _handle.Dispose();
        _broker.Changed();
    }
}
