using System.Buffers;
using System.Net.Sockets;
using System.Text;
using EventLoop;

namespace Stomper.Testing;

/// <summary>
/// One client connection of a <see cref="ScriptedStompServer"/>: the <see cref="ITransport"/>
/// the client's handle reads and writes, the frames the client sent (parsed), and the
/// Push methods by which a test makes the server speak.
/// </summary>
/// <remarks>
/// What a test pushes reaches the client in the next loop pass, in push order; after
/// <see cref="PushEof"/> or <see cref="PushIoError"/> nothing more does. The
/// <see cref="ITransport"/> members are the client's side and are implemented explicitly.
/// </remarks>
public sealed class ScriptedConnection : ITransport
{
    private readonly ScriptedStompServer _server;
    private readonly Loop _loop;
    private readonly ClientFrameParser _parser = new();
    private readonly List<Frame> _received = [];
    private readonly Dictionary<string, FakeSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly List<(string ReceiptId, bool CloseAfter)> _heldReceipts = [];
    private readonly ChunkQueue _outbound = new();
    private readonly ArrayBufferWriter<byte> _frameBytes = new();
    private Ending _ending;
    private SocketError _ioError;
    private Action? _readable;
    private Action? _writable;
    private bool _deliveryQueued;
    private bool _readSinceDelivery;

    internal ScriptedConnection(ScriptedStompServer server, Loop loop, int index)
    {
        _server = server;
        _loop = loop;
        Index = index;
    }

    private enum Ending
    {
        None,
        Eof,
        IoError,
        Delivered,
    }

    /// <summary>The connection's index on its server, in the order the client made them, from 0.</summary>
    public int Index { get; }

    /// <summary>The host:port the client connected to; null until it starts connecting.</summary>
    public ScriptedNode? Node { get; private set; }

    /// <summary>The version negotiated by CONNECT (1.0 until then).</summary>
    public StompVersion Version { get; private set; } = StompVersion.V1_0;

    /// <summary>The session id CONNECTED gave; null until then.</summary>
    public string? Session { get; private set; }

    /// <summary>The CONNECT (or STOMP) frame's headers, for asserting on login, host and heart-beat; null until then.</summary>
    public FrameHeaders? ConnectHeaders { get; private set; }

    /// <summary>True once the client closed its side (disposed the transport).</summary>
    public bool ClosedByClient { get; private set; }

    /// <summary>True once the server's side has ended (<see cref="PushEof"/>, <see cref="PushIoError"/>, after DISCONNECT's receipt, or after an ERROR).</summary>
    public bool ClosedByServer => _ending != Ending.None;

    /// <summary>Every frame the client sent on this connection, in order.</summary>
    public IReadOnlyList<Frame> Received => _received;

    /// <summary>The last frame the client sent.</summary>
    /// <exception cref="InvalidOperationException">The client has sent none yet.</exception>
    public Frame LastReceived => _received.Count > 0
        ? _received[^1]
        : throw new InvalidOperationException($"The client has sent nothing on {this} yet");

    /// <summary>Heart-beat EOLs the client sent between frames.</summary>
    public int HeartBeatsReceived => _parser.HeartBeats;

    /// <summary>
    /// The client's subscriptions by <c>id</c> (or destination for a 1.0 SUBSCRIBE without
    /// one): those the server accepted and no accepted UNSUBSCRIBE ended. A refused frame
    /// changes nothing here. Once the connection has ended they stay as they stood, so a
    /// test can still ask what a dead connection carried.
    /// </summary>
    public IReadOnlyDictionary<string, FakeSubscription> Subscriptions => _subscriptions;

    /// <summary>The receipt ids held by <see cref="ReceiptMode.Hold"/>, in the order they were due.</summary>
    public IReadOnlyList<string> HeldReceipts => _heldReceipts.Select(r => r.ReceiptId).ToArray();

    /// <summary>The frames of one command (e.g. <c>NACK</c>) the client sent on this connection.</summary>
    public IReadOnlyList<Frame> ReceivedBy(string command) => _received.Where(f => f.Command == command).ToArray();

    /// <summary>
    /// Delivers a MESSAGE on the client's subscription to <paramref name="destination"/>, as
    /// a broker would: <c>subscription</c>, a fresh <c>message-id</c>, <c>destination</c>,
    /// on 1.2 an <c>ack</c> header when the subscription acknowledges, then
    /// <paramref name="headers"/>. Returns the frame, so the test can match the ACK or NACK
    /// that follows by its <c>ack</c> (1.2) or <c>message-id</c> header.
    /// </summary>
    /// <exception cref="InvalidOperationException">The client has no subscription to <paramref name="destination"/> on this connection.</exception>
    public Frame PushMessage(string destination, string body, params (string Name, string Value)[] headers)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(body);
        var subscription = _subscriptions.Values.FirstOrDefault(s => s.Destination == destination)
            ?? throw new InvalidOperationException(
                $"The client has no subscription to \"{destination}\" on {this}; it has: {string.Join(", ", _subscriptions.Values.Select(s => s.Destination))}");
        var message = StompServerFrames.Message(subscription, _server.NextMessageId(), Version, new FrameHeaders(headers), Encoding.UTF8.GetBytes(body));
        Push(message);
        return message;
    }

    /// <summary>Sends any frame, written in the negotiated version's escaping.</summary>
    public void Push(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        FrameWriter.Write(_frameBytes, frame, Version);
        PushRaw(_frameBytes.WrittenSpan);
        _frameBytes.Clear();
    }

    /// <summary>
    /// Sends ERROR with a <c>message</c> header and, when given, a body and the
    /// <c>receipt-id</c> of the frame at fault; then, unless
    /// <see cref="ScriptedStompServer.CloseAfterError"/> is off, end-of-file, as the STOMP
    /// specification requires of a server.
    /// </summary>
    public void PushError(string message, string body = "", string? receiptId = null)
    {
        Push(StompServerFrames.Error(message, body, receiptId));
        if (_server.CloseAfterError)
        {
            PushEof();
        }
    }

    /// <summary>Sends RECEIPT for <paramref name="receiptId"/>, asked for or not.</summary>
    public void PushReceipt(string receiptId) => Push(StompServerFrames.Receipt(receiptId));

    /// <summary>Sends one heart-beat (an EOL).</summary>
    public void PushHeartBeat() => PushRaw("\n"u8);

    /// <summary>Sends bytes as they are: a frame cut in two, a malformed one, several at once.</summary>
    public void PushRaw(ReadOnlySpan<byte> bytes)
    {
        if (_ending != Ending.None || bytes.IsEmpty)
        {
            return;
        }

        _outbound.Enqueue(bytes.ToArray());
        ScheduleDelivery();
    }

    /// <summary>Sends text as UTF-8 bytes, as they are (<c>"MESSAGE\n..."</c>, NUL included by the caller).</summary>
    public void PushRaw(string text) => PushRaw(Encoding.UTF8.GetBytes(text));

    /// <summary>Closes the server's side: after what was pushed before, the client reads end-of-file.</summary>
    public void PushEof() => End(Ending.Eof, SocketError.Success);

    /// <summary>After what was pushed before, the client's read fails with <paramref name="error"/> (a reset connection by default).</summary>
    public void PushIoError(SocketError error = SocketError.ConnectionReset) => End(Ending.IoError, error);

    /// <summary>Answers the receipts held on this connection by <see cref="ReceiptMode.Hold"/>, in order.</summary>
    public void ReleaseReceipts()
    {
        var held = _heldReceipts.ToArray();
        _heldReceipts.Clear();
        foreach (var (receiptId, closeAfter) in held)
        {
            AnswerReceipt(receiptId, closeAfter);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"connection #{Index}" + (Node is { } node ? $" to {node}" : string.Empty);

    void ITransport.Connect(string host, int port, Action<string?> completed)
    {
        Node = _server.Node(host, port);
        Node.Attach(this);
        switch (Node.Mode)
        {
            case NodeMode.Accept:
                _loop.Postpone(() => Complete(completed, null));
                break;
            case NodeMode.Refuse:
                var reason = Node.RefusalReason;
                _loop.Postpone(() => Complete(completed, reason));
                break;
            default:
                break;
        }
    }

    void ITransport.WatchRead(Action? onReadable)
    {
        _readable = onReadable;
        ScheduleDelivery();
    }

    void ITransport.WatchWrite(Action? onWritable)
    {
        // Always writable: one call is enough, as every Send takes all it is offered.
        _writable = onWritable;
        if (onWritable is not null)
        {
            _loop.Postpone(() =>
            {
                if (_writable == onWritable)
                {
                    onWritable();
                }
            });
        }
    }

    int ITransport.Receive(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(ClosedByClient, this);
        var copied = _outbound.Read(buffer, offset, count);
        if (copied > 0)
        {
            _readSinceDelivery = true;
            return copied;
        }

        switch (_ending)
        {
            case Ending.Eof:
                _readSinceDelivery = true;
                return 0;
            case Ending.IoError:
                _ending = Ending.Delivered;
                throw new SocketException((int)_ioError);
            default:
                return -1;
        }
    }

    int ITransport.Send(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(ClosedByClient, this);
        if (_ending != Ending.None)
        {
            // The server's side is gone: the bytes are lost, as on a half-closed socket.
            return count;
        }

        _parser.Append(buffer.AsSpan(offset, count));
        ParseInbound();
        return count;
    }

    void ITransport.Configure(bool noDelay, bool keepAlive)
    {
    }

    void IDisposable.Dispose()
    {
        ClosedByClient = true;
        _readable = null;
        _writable = null;
    }

    // A transport closed while its connect was in flight reports nothing, as a disposed socket's watcher does not.
    private void Complete(Action<string?> completed, string? error)
    {
        if (!ClosedByClient)
        {
            completed(error);
        }
    }

    private void ParseInbound()
    {
        while (_ending == Ending.None && _parser.TryRead(out var frame))
        {
            _received.Add(frame);
            _server.Record(new ScriptedFrame(this, frame));
            if (_server.OnFrame?.Invoke(this, frame) != true)
            {
                Answer(frame);
            }
        }

        if (_parser.Fault is { } fault && _ending == Ending.None)
        {
            // A stream that cannot be parsed further ends the session, whatever CloseAfterError says.
            Push(StompServerFrames.Error(fault.Message, string.Empty, null));
            PushEof();
        }
    }

    private void Answer(Frame frame)
    {
        if (frame.Command is StompCommands.Connect or StompCommands.Stomp)
        {
            AnswerConnect(frame);
            return;
        }

        var receipt = frame.Headers["receipt"];
        if (receipt is not null && _server.Receipts == ReceiptMode.Error)
        {
            // Refused before it takes effect, as a broker refuses: a refused SUBSCRIBE
            // subscribes nothing and a refused UNSUBSCRIBE leaves its subscription live.
            PushError("Refused by the scripted server", $"{frame.Command} refused.", receipt);
            return;
        }

        switch (frame.Command)
        {
            case StompCommands.Subscribe:
                var subscription = StompServerFrames.Subscription(frame);
                _subscriptions[subscription.Key] = subscription;
                break;
            case StompCommands.Unsubscribe:
                _subscriptions.Remove(StompServerFrames.SubscriptionKey(frame) ?? string.Empty);
                break;
            case StompCommands.Disconnect when receipt is null:
                PushEof();
                return;
            default:
                break;
        }

        if (receipt is null)
        {
            return;
        }

        var closeAfter = frame.Command == StompCommands.Disconnect;
        if (_server.Receipts == ReceiptMode.Hold)
        {
            _heldReceipts.Add((receipt, closeAfter));
        }
        else
        {
            AnswerReceipt(receipt, closeAfter);
        }
    }

    private void AnswerConnect(Frame connect)
    {
        var options = _server.Options;
        var acceptVersion = connect.Headers["accept-version"];
        if (StompServerFrames.Negotiate(acceptVersion, options.Versions) is not { } version)
        {
            Push(StompServerFrames.UnsupportedVersion(acceptVersion, options.Versions));
            PushEof();
            return;
        }

        Version = version;
        _parser.Version = version;
        Session = _server.NextSession();
        ConnectHeaders = connect.Headers;
        Push(StompServerFrames.Connected(version, acceptVersion is not null, Session, options.ServerName, options.HeartBeatSend, options.HeartBeatReceive));
    }

    private void AnswerReceipt(string receiptId, bool closeAfter)
    {
        PushReceipt(receiptId);
        if (closeAfter)
        {
            PushEof();
        }
    }

    private void End(Ending ending, SocketError error)
    {
        if (_ending != Ending.None)
        {
            return;
        }

        _ending = ending;
        _ioError = error;
        ScheduleDelivery();
    }

    // A readable transport is signalled in a later pass, never from inside the client's
    // own Send, and again only while the client keeps reading: a handle that stopped
    // reading must not keep the loop busy for ever.
    private void ScheduleDelivery()
    {
        if (_deliveryQueued || _readable is null || (_outbound.IsEmpty && _ending is Ending.None or Ending.Delivered))
        {
            return;
        }

        _deliveryQueued = true;
        _readSinceDelivery = false;
        _loop.Postpone(Deliver);
    }

    private void Deliver()
    {
        _deliveryQueued = false;
        _readable?.Invoke();
        if (_readSinceDelivery)
        {
            ScheduleDelivery();
        }
    }
}
