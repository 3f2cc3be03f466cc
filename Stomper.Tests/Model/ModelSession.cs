using System.Buffers;
using System.Globalization;
using EventLoop;

namespace Stomper.Tests.Model;

/// <summary>
/// The broker's side of one connection: reads the client's frames with the library's own
/// <see cref="FrameReader"/>, answers them as a correct broker would, remembers which
/// messages it delivered and awaits acknowledgement for, and writes its output in random
/// pieces when told to.
/// </summary>
internal sealed class ModelSession
{
    private readonly ModelBroker _broker;
    private readonly MemoryTransport _transport;
    private readonly FrameReader _reader = new(FrameSource.Client);
    private readonly ArrayBufferWriter<byte> _input = new();
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly Dictionary<string, ModelSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ModelSubscription Subscription, long Sequence)> _unacked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Frame>> _transactions = new(StringComparer.Ordinal);
    private StompVersion _version = StompVersion.V1_0;
    private TimerWatcher? _beatTimer;
    private long _deliveries;

    public ModelSession(ModelBroker broker, MemoryTransport transport)
    {
        _broker = broker;
        _transport = transport;
    }

    public bool IsOpen { get; private set; } = true;

    /// <summary>CONNECTED's session header, once the login is done.</summary>
    public string? SessionId { get; private set; }

    /// <summary>Armed fault: writes nothing more, heart-beats included.</summary>
    public bool Silent { get; set; }

    public IEnumerable<string> SubscriptionIds => _subscriptions.Keys;

    public void FromClient(ReadOnlySpan<byte> bytes)
    {
        _input.Write(bytes);
        var consumedTotal = 0;
        while (IsOpen)
        {
            var result = _reader.TryRead(_input.WrittenSpan[consumedTotal..], out var frame, out var consumed, out _);
            consumedTotal += consumed;
            if (result == FrameReadResult.NeedMoreData)
            {
                break;
            }

            if (result == FrameReadResult.Error)
            {
                _broker.Network.Violation($"the client wrote a frame its own reader rejects (node {_broker.Port})");
                Close();
                return;
            }

            if (result == FrameReadResult.Frame)
            {
                _broker.Network.FrameArrived(_broker, frame!);
                if (IsOpen)
                {
                    Handle(frame!);
                }
            }
        }

        if (IsOpen)
        {
            var rest = _input.WrittenSpan[consumedTotal..].ToArray();
            _input.ResetWrittenCount();
            _input.Write(rest);
        }
    }

    /// <summary>The client closed its end.</summary>
    public void ClientClosed() => End();

    /// <summary>The broker closes the connection: the client reads end-of-file.</summary>
    public void Close()
    {
        if (IsOpen)
        {
            End();
            _transport.PeerClose();
        }
    }

    /// <summary>A message on <paramref name="destination"/> for every subscription of this session to it.</summary>
    public void Deliver(string? destination, string body)
    {
        foreach (var subscription in _subscriptions.Values.ToArray())
        {
            if (!IsOpen || subscription.Destination != destination)
            {
                continue;
            }

            var messageId = _broker.NextMessageId();
            var headers = new List<(string, string)>
            {
                ("subscription", subscription.Id),
                ("message-id", messageId),
                ("destination", destination ?? string.Empty),
            };
            if (_version == StompVersion.V1_2)
            {
                headers.Add(("ack", "a-" + messageId));
            }

            if (subscription.AckMode != "auto")
            {
                _unacked[_version == StompVersion.V1_2 ? "a-" + messageId : messageId] = (subscription, ++_deliveries);
            }

            Emit(new Frame(StompCommands.Message, new FrameHeaders([.. headers]), body));
        }
    }

    /// <summary>An ERROR that names no command, then the close the specification asks for.</summary>
    public void SendUnpromptedError() => Error("Injected unprompted error", receipt: null);

    private void Handle(Frame frame)
    {
        var receipt = frame.Headers["receipt"];
        if (SessionId is null)
        {
            if (frame.Command is StompCommands.Connect or "STOMP")
            {
                Login(frame);
            }
            else
            {
                Error("Not connected", receipt);
            }

            return;
        }

        if (_broker.ErrorNextCommand && frame.Command != StompCommands.Disconnect)
        {
            _broker.ErrorNextCommand = false;
            Error("Injected failure", receipt);
            return;
        }

        switch (frame.Command)
        {
            case StompCommands.Send:
                if (frame.Headers["transaction"] is { } tx)
                {
                    if (!_transactions.TryGetValue(tx, out var sends))
                    {
                        Error($"Unknown transaction {tx}", receipt);
                        return;
                    }

                    sends.Add(frame);
                }
                else
                {
                    _broker.Publish(frame);
                }

                break;
            case StompCommands.Subscribe:
                var id = frame.Headers["id"] ?? frame.Headers["destination"] ?? string.Empty;
                if (_subscriptions.ContainsKey(id))
                {
                    Error($"Duplicate subscription id {id}", receipt);
                    return;
                }

                _subscriptions[id] = new ModelSubscription(id, frame.Headers["destination"], frame.Headers["ack"] ?? "auto");
                break;
            case StompCommands.Unsubscribe:
                _subscriptions.Remove(frame.Headers["id"] ?? frame.Headers["destination"] ?? string.Empty);
                break;
            case StompCommands.Ack or StompCommands.Nack:
                Acknowledge(frame);
                break;
            case StompCommands.Begin:
                if (!_transactions.TryAdd(frame.Headers["transaction"] ?? string.Empty, []))
                {
                    Error("Transaction already started", receipt);
                    return;
                }

                break;
            case StompCommands.Commit or StompCommands.Abort:
                if (!_transactions.Remove(frame.Headers["transaction"] ?? string.Empty, out var held))
                {
                    Error("Unknown transaction", receipt);
                    return;
                }

                if (frame.Command == StompCommands.Commit)
                {
                    foreach (var send in held)
                    {
                        _broker.Publish(send);
                    }
                }

                break;
            case StompCommands.Disconnect:
                Receipt(receipt);
                Close();
                return;
            default:
                Error($"Unknown command {frame.Command}", receipt);
                return;
        }

        Receipt(receipt);
    }

    private void Login(Frame connect)
    {
        _version = _broker.Version;
        _reader.Version = _version;
        SessionId = _broker.NextSessionId();
        var cy = ClientWantsBeatsEvery(connect.Headers["heart-beat"]);
        const int sx = 1000;
        Emit(new Frame(StompCommands.Connected, new FrameHeaders(
            ("version", _version.ToHeaderValue()),
            ("session", SessionId),
            ("heart-beat", string.Create(CultureInfo.InvariantCulture, $"{sx},0"))), string.Empty));
        if (cy > 0 && IsOpen)
        {
            var every = Math.Max(sx, cy) / 1000.0;
            _beatTimer = _broker.Network.Loop.Timer(every, every, Beat);
        }
    }

    /// <summary>cy of CONNECT's <c>heart-beat:cx,cy</c>; read here rather than with the client's own parser, which is what is under test.</summary>
    private static int ClientWantsBeatsEvery(string? heartBeat) =>
        heartBeat?.Split(',') is [_, var cy] && int.TryParse(cy, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private void Beat() => Write([(byte)'\n']);

    private void Acknowledge(Frame frame)
    {
        var key = (_version == StompVersion.V1_2 ? frame.Headers["id"] : frame.Headers["message-id"]) ?? string.Empty;
        if (!_unacked.Remove(key, out var entry))
        {
            _broker.Network.Violation(
                $"{frame.Command} of {key} reached node {_broker.Port} session {SessionId}, which did not deliver it or has it settled");
            return;
        }

        if (entry.Subscription.AckMode == "client")
        {
            // Cumulative: every earlier message of the same subscription is settled too.
            foreach (var (other, (subscription, sequence)) in _unacked.ToArray())
            {
                if (ReferenceEquals(subscription, entry.Subscription) && sequence < entry.Sequence)
                {
                    _unacked.Remove(other);
                }
            }
        }
    }

    private void Receipt(string? receipt)
    {
        if (receipt is not null)
        {
            Emit(new Frame(StompCommands.Receipt, new FrameHeaders(("receipt-id", receipt)), string.Empty));
        }
    }

    private void Error(string message, string? receipt)
    {
        var frame = receipt is null
            ? new Frame(StompCommands.Error, new FrameHeaders(("message", message)), string.Empty)
            : new Frame(StompCommands.Error, new FrameHeaders(("message", message), ("receipt-id", receipt)), string.Empty);
        Emit(frame);
        if (receipt is null || _broker.CloseAfterError)
        {
            Close();
        }
    }

    private void Emit(Frame frame)
    {
        FrameWriter.Write(_output, frame, frame.Command == StompCommands.Connected ? StompVersion.V1_0 : _version);
        var bytes = _output.WrittenSpan.ToArray();
        _output.ResetWrittenCount();
        Write(bytes);
    }

    private void Write(byte[] bytes)
    {
        if (!IsOpen || Silent)
        {
            return;
        }

        if (_broker.CutAfterBytes is { } cut)
        {
            if (cut < bytes.Length)
            {
                // Dies mid-frame: a prefix reaches the client, then end-of-file.
                _broker.CutAfterBytes = null;
                Split(bytes.AsSpan(0, cut).ToArray());
                Close();
                return;
            }

            _broker.CutAfterBytes = cut - bytes.Length;
        }

        Split(bytes);
    }

    private void Split(byte[] bytes)
    {
        var rng = _broker.Network.Random;
        if (bytes.Length < 2 || rng.Next(3) != 0)
        {
            if (bytes.Length > 0)
            {
                _transport.Deliver(bytes);
            }

            return;
        }

        var at = 0;
        while (at < bytes.Length)
        {
            var n = 1 + rng.Next(bytes.Length - at);
            _transport.Deliver(bytes.AsSpan(at, n).ToArray());
            at += n;
        }
    }

    private void End()
    {
        if (!IsOpen)
        {
            return;
        }

        IsOpen = false;
        _beatTimer?.Dispose();
        _beatTimer = null;
        _subscriptions.Clear();
        _unacked.Clear();
        _broker.Forget(this);
    }

    private sealed record ModelSubscription(string Id, string? Destination, string AckMode);
}
