using Microsoft.Extensions.Logging;

namespace Stomper;

/// <summary>
/// The single-node client's log events (category <c>Stomper.StomperClient</c>), ids
/// 1001-1099, stable: operators filter on them. Nothing here takes a passcode or a body.
/// The table in docs/observability.md lists them.
/// </summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Connecting to {Host}:{Port}")]
    public static partial void Connecting(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "TCP connection to {Host}:{Port} made; logging in as {Login}")]
    public static partial void LoggingIn(ILogger logger, string host, int port, string login);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Connected to {Host}:{Port}: STOMP {Version}, server {Server}, session {Session}")]
    public static partial void Connected(ILogger logger, string host, int port, string version, string server, string session);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Disconnected from {Host}:{Port}")]
    public static partial void Disconnected(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Cannot connect to {Host}:{Port}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Connection to {Host}:{Port} lost ({Code}): {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string host, int port, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "No heart-beat nor frame from {Host}:{Port} within the read timeout; connection dropped")]
    public static partial void HeartBeatTimedOut(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "{Host}:{Port} ended the session with an ERROR frame: {Reason}")]
    public static partial void SessionEndedByServer(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "{Command} refused by {Host}:{Port}: {Reason}")]
    public static partial void CommandRefused(ILogger logger, string command, string host, int port, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "{Command} not sent to {Host}:{Port}: {Reason}")]
    public static partial void CommandNotSent(ILogger logger, string command, string host, int port, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "{Count} pending command(s) on {Host}:{Port} aborted: {Reason}")]
    public static partial void CommandsAborted(ILogger logger, int count, string host, int port, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "{Count} subscription(s) on {Host}:{Port} lost: {Reason}")]
    public static partial void SubscriptionsLost(ILogger logger, int count, string host, int port, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "The next connect to {Host}:{Port} waits {Interval} s (reconnect_interval)")]
    public static partial void ReconnectScheduled(ILogger logger, string host, int port, double interval);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Client of {Host}:{Port} disposed with {Count} command(s) pending; they are dropped")]
    public static partial void DisposedWithWork(ILogger logger, string host, int port, int count);


    [LoggerMessage(EventId = 1090, Level = LogLevel.Trace, Message = "Sent {Command} to {Host}:{Port} ({Bytes} bytes): destination {Destination}, receipt {Receipt}")]
    public static partial void FrameSent(ILogger logger, string command, string host, int port, long bytes, string? destination, string? receipt);

    [LoggerMessage(EventId = 1091, Level = LogLevel.Trace, Message = "Received {Command} from {Host}:{Port}: {Headers} ({BodyLength} body bytes)")]
    public static partial void FrameReceived(ILogger logger, string command, string host, int port, FrameHeaders headers, int bodyLength);
}
