using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using EventLoop;
using Microsoft.Extensions.Logging;
using static Stomper.ErrorCode;

namespace Stomper;

/// <summary>
/// What one client reports to logs, metrics and traces. The client calls it at each event
/// in one line; each method checks first whether anyone listens (a logger level, an
/// instrument's <c>Enabled</c>, the activity source's listeners), so that with nothing
/// listening the per-message path does no work and allocates nothing.
/// </summary>
internal sealed class ClientTelemetry
{
    private static readonly ConditionalWeakTable<CommandParams, StrongBox<ActivityContext>> s_queuedContexts = [];

    private readonly ILogger? _logger;
    private readonly StompInstruments _meters;
    private readonly string _host;
    private readonly int _port;

    // Boxed once: a tag's value is an object, and boxing the port at every measurement would allocate.
    private readonly object _boxedPort;
    private readonly bool _off = AppContext.TryGetSwitch(StomperDiagnostics.DisableSwitch, out var off) && off;
    private readonly Dictionary<string, long> _receiptStarted = new(StringComparer.Ordinal);
    private string _system = "stomp";
    private string _protocolVersion = "1.0";
    private long _lastWritten;
    private bool _hadSession;
    private long _liveSubscriptions;

    public ClientTelemetry(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, string host, int port)
    {
        _logger = loggerFactory?.CreateLogger<StomperClient>();
        _meters = StompInstruments.From(meterFactory);
        _host = host;
        _port = port;
        _boxedPort = port;
    }

    /// <summary>The broker as the messaging conventions name it, from CONNECTED's <c>server</c> header.</summary>
    public string System => _system;

    /// <summary>
    /// True when a command's write is worth reporting: someone traces, counts SENDs or logs
    /// frames. Asked once per command, so that with nobody listening a SEND pays for this
    /// one check and nothing more.
    /// </summary>
    public bool Watching => !_off && (
        StomperDiagnostics.Source.HasListeners() || _meters.SentMessages.Enabled || Enabled(LogLevel.Trace));

    public void Connecting()
    {
        if (Enabled(LogLevel.Debug))
        {
            ClientLog.Connecting(_logger!, _host, _port);
        }
    }

    public void LoggingIn(string? login)
    {
        if (Enabled(LogLevel.Debug))
        {
            ClientLog.LoggingIn(_logger!, _host, _port, login ?? "(none)");
        }
    }

    public void Connected(Frame connected, StompVersion version)
    {
        _system = SystemOf(connected.Headers["server"]);
        _protocolVersion = version.ToHeaderValue();
        if (Enabled(LogLevel.Information))
        {
            ClientLog.Connected(_logger!, _host, _port, _protocolVersion, connected.Headers["server"] ?? "(not named)", connected.Headers["session"] ?? "(none)");
        }

        var tags = ServerTags();
        _meters.Connects.Add(1, tags);
        if (_hadSession)
        {
            _meters.Reconnects.Add(1, tags);
        }

        _hadSession = true;
    }

    /// <summary>A connection ended: why, and what it took with it.</summary>
    public void Ended(StompError? error, int aborted, int lost)
    {
        _lastWritten = 0;
        PendingReceiptsGone(_receiptStarted.Count);
        _receiptStarted.Clear();
        SubscriptionsEnded(_liveSubscriptions);
        if (error is { Code: E_READ_TIMEDOUT })
        {
            _meters.HeartBeatTimeouts.Add(1, ServerTags());
        }

        if (_logger is null)
        {
            return;
        }

        switch (error)
        {
            case null or { Code: E_CONN_CLOSED_BY_CLIENT }:
                if (Enabled(LogLevel.Information))
                {
                    ClientLog.Disconnected(_logger, _host, _port);
                }

                break;
            case { Code: E_CANT_CONN }:
                ClientLog.ConnectFailed(_logger, _host, _port, error.Message);
                break;
            case { Code: E_READ_TIMEDOUT }:
                ClientLog.HeartBeatTimedOut(_logger, _host, _port);
                break;
            case { EndedSession: true }:
                ClientLog.SessionEndedByServer(_logger, _host, _port, error.Message);
                break;
            default:
                ClientLog.ConnectionLost(_logger, _host, _port, error.Code, error.Message);
                break;
        }

        var reason = error?.Message ?? "connection closed by client";
        if (aborted > 0)
        {
            ClientLog.CommandsAborted(_logger, aborted, _host, _port, reason);
        }

        if (lost > 0)
        {
            ClientLog.SubscriptionsLost(_logger, lost, _host, _port, reason);
        }
    }

    public void ReconnectScheduled(double interval)
    {
        if (Enabled(LogLevel.Information))
        {
            ClientLog.ReconnectScheduled(_logger!, _host, _port, interval);
        }
    }

    public void Disposed(int pending)
    {
        if (pending > 0 && Enabled(LogLevel.Warning))
        {
            ClientLog.DisposedWithWork(_logger!, _host, _port, pending);
        }

        PendingReceiptsGone(_receiptStarted.Count);
        _receiptStarted.Clear();
        SubscriptionsEnded(_liveSubscriptions);
    }

    /// <summary>A command the client answers itself without sending it (an unexpected ACK, a receipt id in use, a bad header).</summary>
    public void CommandNotSent(string command, StompError error)
    {
        if (Enabled(LogLevel.Warning))
        {
            ClientLog.CommandNotSent(_logger!, command, _host, _port, error.Message);
        }
    }

    public void SubscriptionConfirmed()
    {
        _liveSubscriptions++;
        _meters.LiveSubscriptions.Add(1, ServerTags());
    }

    /// <summary>An UNSUBSCRIBE's RECEIPT ended a subscription (one the broker had confirmed).</summary>
    public void SubscriptionEnded(bool wasConfirmed)
    {
        if (wasConfirmed)
        {
            SubscriptionsEnded(1);
        }
    }

    /// <summary>A receipted command was written; followed only while someone measures, so the round trip costs nothing otherwise.</summary>
    public void ReceiptAwaited(string receipt)
    {
        if (_off || (!_meters.PendingReceipts.Enabled && !_meters.OperationDuration.Enabled && !Enabled(LogLevel.Warning)))
        {
            return;
        }

        _receiptStarted[receipt] = Stopwatch.GetTimestamp();
        _meters.PendingReceipts.Add(1, ServerTags());
    }

    /// <summary>A RECEIPT (<paramref name="refusal"/> null) or an ERROR answered a receipted command.</summary>
    public void ReceiptAnswered(string receipt, string command, StompError? refusal)
    {
        if (!_receiptStarted.Remove(receipt, out var started))
        {
            return;
        }

        var tags = ServerTags();
        _meters.PendingReceipts.Add(-1, tags);

        if (_meters.OperationDuration.Enabled)
        {
            tags.Add("messaging.operation.name", command);
            if (refusal is not null)
            {
                tags.Add("error.type", refusal.Code.ToString());
            }

            _meters.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }

        if (refusal is not null && Enabled(LogLevel.Warning))
        {
            ClientLog.CommandRefused(_logger!, command, _host, _port, refusal.Message);
        }
    }

    /// <summary>Bytes consumed by the frame reader (frames and heart-beats).</summary>
    public void Read(int bytes)
    {
        if (!_off && bytes > 0 && _meters.BytesReceived.Enabled)
        {
            _meters.BytesReceived.Add(bytes, ServerTags());
        }
    }

    /// <summary>The handle wrote to the socket: counts what left since the last time.</summary>
    public void Wrote(Handle handle)
    {
        var total = handle.BytesWritten;
        if (!_off && _meters.BytesSent.Enabled && total > _lastWritten)
        {
            _meters.BytesSent.Add(total - _lastWritten, ServerTags());
        }

        _lastWritten = total;
    }

    /// <summary>A command queued before the session is up keeps the trace context of its caller, not of whatever runs when it is written.</summary>
    public CommandParams Queued(CommandParams snapshot)
    {
        if (!_off && Activity.Current is { } current && StomperDiagnostics.Source.HasListeners())
        {
            s_queuedContexts.AddOrUpdate(snapshot, new StrongBox<ActivityContext>(current.Context));
        }

        return snapshot;
    }

    /// <summary>
    /// The span of a command that has one (SEND: producer; ACK/NACK: settle; BEGIN, COMMIT,
    /// ABORT), or null when nobody listens. It ends when the frame is handed to the connection.
    /// </summary>
    public Activity? StartCommand(string name, string? destination, CommandParams parameters)
    {
        if (_off || !StomperDiagnostics.Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (s_queuedContexts.TryGetValue(parameters, out var queued))
        {
            parent = queued.Value;
            s_queuedContexts.Remove(parameters);
        }

        Activity? activity;
        switch (name)
        {
            case StompCommands.Send:
                activity = Start(SpanName("send", destination), ActivityKind.Producer, parent, "send", "send", destination);
                if (activity is { IsAllDataRequested: true })
                {
                    activity.SetTag("messaging.message.body.size", parameters.BodyLength);
                    if (parameters["transaction"] is { } transaction)
                    {
                        activity.SetTag("messaging.stomp.transaction", transaction);
                    }
                }

                break;
            case StompCommands.Ack or StompCommands.Nack:
                var message = parameters.Message;
                var operation = name == StompCommands.Ack ? "ack" : "nack";
                destination = message?.Headers["destination"];
                activity = Start(SpanName(operation, destination), ActivityKind.Client, parent, operation, "settle", destination);
                if (activity is { IsAllDataRequested: true })
                {
                    activity.SetTag("messaging.message.id", message?.Headers["message-id"] ?? parameters["message-id"]);
                    activity.SetTag("messaging.destination.subscription.name", message?.Headers["subscription"] ?? parameters["subscription"]);
                }

                break;
            case StompCommands.Begin or StompCommands.Commit or StompCommands.Abort:
                var transactionName = name.ToLowerInvariant();
                activity = Start(transactionName, ActivityKind.Client, parent, transactionName, null, null);
                activity?.SetTag("messaging.stomp.transaction", parameters["transaction"]);
                break;
            default:
                return null;
        }

        return activity;
    }

    /// <summary>Writes the span's trace context into the SEND's headers, unless the caller gave them.</summary>
    public static void InjectContext(ref FrameWriter writer, Activity? activity, CommandParams own)
    {
        if (activity is null || activity.Kind != ActivityKind.Producer)
        {
            return;
        }

        var fields = new List<KeyValuePair<string, string>>(2);
        StomperDiagnostics.CurrentPropagator.Inject(activity, fields, static (carrier, name, value) =>
        {
            if (carrier is List<KeyValuePair<string, string>> list && value is not null)
            {
                list.Add(new(name, value));
            }
        });
        foreach (var (name, value) in fields)
        {
            if (own[name] is null)
            {
                writer.WriteHeader(name, value);
            }
        }
    }

    /// <summary>A command went out: counted, and traced at Trace level.</summary>
    public void Wrote(string name, string? destination, string? receipt, long bytes)
    {
        if (_off)
        {
            return;
        }

        if (name == StompCommands.Send && _meters.SentMessages.Enabled)
        {
            var tags = ServerTags();
            tags.Add("messaging.operation.name", "send");
            tags.Add("messaging.destination.name", DestinationTag(destination));
            _meters.SentMessages.Add(1, tags);
        }

        if (Enabled(LogLevel.Trace))
        {
            ClientLog.FrameSent(_logger!, name, _host, _port, bytes, destination, receipt);
        }
    }

    public void FrameReceived(Frame frame)
    {
        if (!_off && Enabled(LogLevel.Trace))
        {
            // Headers only: message bodies are never logged.
            ClientLog.FrameReceived(_logger!, frame.Command, _host, _port, frame.Headers, frame.BodyBytes.Length);
        }
    }

    /// <summary>Hands a MESSAGE to its subscription's handler inside a consumer span, continuing the sender's trace.</summary>
    public void Process(Action<Frame> handler, Frame message, string subscriptionId)
    {
        var counting = _meters.ConsumedMessages.Enabled;
        var timing = _meters.ProcessDuration.Enabled;
        if (_off || (!counting && !timing && !StomperDiagnostics.Source.HasListeners()))
        {
            handler(message);
            return;
        }

        var destination = message.Headers["destination"];
        var tags = ServerTags();
        tags.Add("messaging.operation.name", "process");
        tags.Add("messaging.destination.name", DestinationTag(destination));
        if (counting)
        {
            _meters.ConsumedMessages.Add(1, tags);
        }

        var started = timing ? Stopwatch.GetTimestamp() : 0;
        using var activity = StartProcess(message, destination, subscriptionId);
        try
        {
            handler(message);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            activity?.SetTag("error.type", e.GetType().FullName);
            tags.Add("error.type", e.GetType().FullName);
            throw;
        }
        finally
        {
            if (timing)
            {
                _meters.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            }
        }
    }

    private Activity? StartProcess(Frame message, string? destination, string subscriptionId)
    {
        if (!StomperDiagnostics.Source.HasListeners())
        {
            return null;
        }

        StomperDiagnostics.CurrentPropagator.ExtractTraceIdAndState(message, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = (carrier as Frame)?.Headers[name];
        }, out var traceParent, out var traceState);
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var sender);
        ActivityLink[]? links = sender == default ? null : [new ActivityLink(sender)];
        var activity = Start(SpanName("process", destination), ActivityKind.Consumer, sender, "process", "process", destination, links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.message.id", message.Headers["message-id"]);
            activity.SetTag("messaging.destination.subscription.name", subscriptionId);
            activity.SetTag("messaging.message.body.size", message.BodyBytes.Length);
        }

        return activity;
    }

    private Activity? Start(string spanName, ActivityKind kind, ActivityContext parent, string operation, string? operationType, string? destination, ActivityLink[]? links = null)
    {
        var activity = StomperDiagnostics.Source.StartActivity(spanName, kind, parent, tags: null, links: links);
        if (activity is not { IsAllDataRequested: true })
        {
            return activity;
        }

        activity.SetTag("messaging.system", _system);
        activity.SetTag("messaging.operation.name", operation);
        if (operationType is not null)
        {
            activity.SetTag("messaging.operation.type", operationType);
        }

        if (destination is not null)
        {
            if (IsTemporary(destination))
            {
                activity.SetTag("messaging.destination.temporary", true);
            }
            else
            {
                activity.SetTag("messaging.destination.name", destination);
            }
        }

        activity.SetTag("network.protocol.name", "stomp");
        activity.SetTag("network.protocol.version", _protocolVersion);
        activity.SetTag("server.address", _host);
        activity.SetTag("server.port", _boxedPort);
        return activity;
    }

    private TagList ServerTags() => new()
    {
        { "messaging.system", _system },
        { "server.address", _host },
        { "server.port", _boxedPort },
    };

    private void PendingReceiptsGone(int count)
    {
        if (count > 0)
        {
            _meters.PendingReceipts.Add(-count, ServerTags());
        }
    }

    private void SubscriptionsEnded(long count)
    {
        if (count > 0)
        {
            _liveSubscriptions -= count;
            _meters.LiveSubscriptions.Add(-count, ServerTags());
        }
    }

    private bool Enabled(LogLevel level) => _logger is not null && _logger.IsEnabled(level);

    /// <summary>
    /// Temporary destinations are named by the broker per connection (RabbitMQ's
    /// <c>/temp-queue/</c> and <c>/reply-queue/</c>, ActiveMQ's <c>/temp-queue/</c> and
    /// <c>/temp-topic/</c>): unbounded in number, so never a span name or a metric tag.
    /// </summary>
    internal static bool IsTemporary(string destination) =>
        destination.StartsWith("/temp-queue/", StringComparison.Ordinal)
        || destination.StartsWith("/temp-topic/", StringComparison.Ordinal)
        || destination.StartsWith("/reply-queue/", StringComparison.Ordinal);

    private static string? DestinationTag(string? destination) => destination is not null && IsTemporary(destination) ? null : destination;

    private static string SpanName(string operation, string? destination) =>
        destination is null ? operation
        : IsTemporary(destination) ? operation + " (temporary)"
        : string.Create(CultureInfo.InvariantCulture, $"{operation} {destination}");

    /// <summary><c>messaging.system</c> from CONNECTED's <c>server</c> header (<c>RabbitMQ/3.10.8</c>, <c>ActiveMQ/5.17.6</c>).</summary>
    internal static string SystemOf(string? server) =>
        server is null ? "stomp"
        : server.StartsWith("RabbitMQ", StringComparison.OrdinalIgnoreCase) ? "rabbitmq"
        : server.StartsWith("ActiveMQ", StringComparison.OrdinalIgnoreCase) ? "activemq"
        : "stomp";
}
