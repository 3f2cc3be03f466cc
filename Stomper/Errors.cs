using System.Globalization;
using System.Text;
using static Stomper.ErrorCode;

namespace Stomper;

/// <summary>
/// Builds every error and every error text of the library, so that the texts of the
/// Perl original live in one file and stay identical to the letter.
/// </summary>
/// <remarks>
/// Argument errors are thrown by the caller as <see cref="ArgumentException"/> (Perl
/// <c>croak</c>s); the message carries no parameter-name suffix so it equals the Perl text.
/// Run-time failures are <see cref="StompError"/> values handed to callbacks.
/// </remarks>
internal static class Errors
{
    /// <summary>The prefix of every error the frame reader reports (code <see cref="E_UNEXPECTED_DATA"/>).</summary>
    internal const string MalformedFramePrefix = "Malformed frame received: ";

    // ---- Argument errors of the single-node client -------------------------------------

    internal static ArgumentException HeartbeatNotArray() =>
        new("\"heartbeat\" must be specified as array reference");

    internal static ArgumentException HeartbeatNotIntegers() =>
        new("\"heartbeat\" values must be an integer numbers");

    internal static ArgumentException CommandHeadersNotHash() =>
        new("\"command_headers\" must be specified as hash reference");

    /// <summary><c>"&lt;name&gt;" must be a positive number</c>, for a zero or negative interval.</summary>
    internal static ArgumentException NotPositiveNumber(string parameterName) =>
        new($"\"{parameterName}\" must be a positive number");

    internal static ArgumentException ConnectionTimeoutNotPositive() => NotPositiveNumber("connection_timeout");

    internal static ArgumentException ReconnectIntervalNotPositive() => NotPositiveNumber("reconnect_interval");

    /// <summary>A receipt timeout that is no duration: negative (but not <see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    internal static ArgumentException ReceiptTimeoutNotValid(string parameterName) =>
        new($"\"{parameterName}\" must be a positive duration, or TimeSpan.Zero or Timeout.InfiniteTimeSpan for none");

    internal static ArgumentException OnMessageNotSpecified() =>
        new("\"on_message\" callback must be specified");

    internal static ArgumentException MessageNotSpecified() =>
        new("\"message\" parameter must be specified");

    /// <summary>An empty host: the port has no "use the default" for an explicit value, as Perl's <c>host =&gt; ''</c> had.</summary>
    internal static ArgumentException HostNotValid() =>
        new("\"host\" must be a host name or an IP address");

    internal static ArgumentException UrlNotWebSocket(Uri url) =>
        new($"\"url\" must be an absolute ws:// or wss:// URL (ws://host:15674/ws, say), not \"{url.OriginalString}\"");

    internal static ArgumentException UrlWithTlsMode(Uri url) =>
        new($"\"tls\" in handle_params contradicts the WebSocket URL \"{url.OriginalString}\": tls => 'connect' needs wss://, and the URL's scheme decides (wss:// speaks TLS with tls_ctx and peername, ws:// does not)");

    internal static ArgumentException NodeUrlMismatch(string host, int port, Uri url) =>
        new($"A node's Url names its host and port: {host}:{port.ToString(CultureInfo.InvariantCulture)} is not the host and port of \"{url.OriginalString}\" (make the node with new ClusterNode(url))");

    internal static ArgumentException PortOutOfRange(int port) =>
        new($"\"port\" must be an integer from 1 to 65535, not {port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary><c>"&lt;name&gt;" must be a positive integer</c>, for a size or a limit of 0 or below.</summary>
    internal static ArgumentException NotPositiveInteger(string parameterName) =>
        new($"\"{parameterName}\" must be a positive integer");

    internal static ArgumentException WbufMaxNegative() =>
        new("\"wbuf_max\" must be 0 (no limit) or a positive integer");

    /// <summary><c>tls =&gt; 'accept'</c> (or a value that is no mode) given to a client, which only connects.</summary>
    internal static ArgumentException TlsModeNotForClient(EventLoop.TlsMode mode) =>
        new($"\"tls\" must be TlsMode.Connect (or TlsMode.None for plain TCP) for a client, not {mode}");

    /// <summary>A CONNECT header (login, passcode, vhost) holding a line break, which CONNECT cannot escape.</summary>
    internal static ArgumentException ConnectHeaderHasLineBreak(string parameterName) =>
        new($"\"{parameterName}\" cannot contain a line break: CONNECT frames are not escaped");

    /// <summary>CONNECT or STOMP given to <c>Execute</c>: a known command, but the client's own.</summary>
    internal static ArgumentException CommandNotExecutable(string name) =>
        new($"STOMP command \"{name}\" is sent by the client itself when it connects and cannot be executed");

    // ---- Argument errors of the cluster ---------------------------------------------------

    internal static ArgumentException NodesNotSpecified() => new("Nodes not specified");

    internal static ArgumentException NodesNotArray() => new("Nodes must be specified as array reference");

    internal static ArgumentException NodesEmpty() => new("Specified empty list of nodes");

    // ---- The cluster's own errors (none in the original) ------------------------------------

    /// <summary>A node whose port no socket can connect to: refused by the cluster's constructor, so that it never becomes the active node.</summary>
    internal static ArgumentException NodePortInvalid(string host, int port) =>
        new($"Node \"{host}:{port.ToString(CultureInfo.InvariantCulture)}\" has an invalid port: it must be from 1 to 65535");

    /// <summary>
    /// An ACK/NACK of a message whose connection has ended: not sent, since the broker
    /// forgot the delivery with the connection and will deliver the message again.
    /// </summary>
    internal static StompError DeliveringConnectionClosed(string commandName, string host, int port) =>
        new($"{commandName} not sent: the connection to {host}:{port.ToString(CultureInfo.InvariantCulture)} that delivered the message is closed; the server will redeliver it.", E_OPRN_ERROR);

    /// <summary>
    /// An UNSUBSCRIBE of a subscription whose connection has ended: not sent, since the
    /// broker dropped the subscription with the connection.
    /// </summary>
    internal static StompError SubscribingConnectionClosed(string commandName, string host, int port) =>
        new($"{commandName} not sent: the connection to {host}:{port.ToString(CultureInfo.InvariantCulture)} that held the subscription is closed; the subscription ended with it.", E_OPRN_ERROR);

    /// <summary>
    /// What a disposed cluster hands each command it was still running:
    /// <c>Operation "&lt;NAME&gt;" aborted: Client object destroyed prematurely.</c>, the
    /// text a node client warns with.
    /// </summary>
    internal static StompError ClusterDestroyed(string commandName) =>
        new(ClientDestroyedWarning(commandName), E_CONN_CLOSED_BY_CLIENT);

    // ---- The reconnect policy and the pre-connect hook (beyond the original) ------------------

    /// <summary>A <see cref="ReconnectPolicy"/> value that makes no policy, refused by the constructor that takes it.</summary>
    internal static ArgumentException PolicyValueInvalid(string property, string expected) =>
        new($"\"ReconnectPolicy.{property}\" must be {expected}");

    /// <summary>
    /// The error of a command that waited for a node until the policy gave up: its last
    /// attempt's error (code and frame kept), saying why it was not tried again.
    /// </summary>
    internal static StompError ReconnectGaveUp(StompError cause, int attempts) =>
        new($"{cause.Message} (gave up after {attempts.ToString(CultureInfo.InvariantCulture)} failed node attempts in a row: ReconnectPolicy.MaxAttempts)", cause.Code, cause.Frame) { EndedSession = cause.EndedSession };

    /// <summary>A command that would wait for a node during a backoff while the policy's limit of waiting commands is reached.</summary>
    internal static StompError TooManyWaiting(string commandName, int limit) =>
        new($"Operation \"{commandName}\" aborted: no node is reachable and the commands waiting for one are at the limit of {limit.ToString(CultureInfo.InvariantCulture)} (ReconnectPolicy.MaxWaitingCommands)", E_CANT_CONN);

    /// <summary>A command that waited out a backoff and that the node client then refused (it was disposed on its own, say).</summary>
    internal static StompError RefusedAfterWaiting(string commandName, Exception refusal) =>
        new($"Operation \"{commandName}\" aborted: {refusal.Message}", E_OPRN_ERROR);

    /// <summary>OnBeforeConnect threw: that login attempt fails as a connect does.</summary>
    internal static StompError ConnectHookThrew(string host, int port, Exception e) =>
        CantConnect(host, port, $"OnBeforeConnect threw {e.GetType().Name}: {e.Message}");

    /// <summary>OnBeforeConnect left a CONNECT header that cannot be written.</summary>
    internal static StompError ConnectHookHeaderInvalid(string host, int port, string name, string reason) =>
        CantConnect(host, port, $"OnBeforeConnect gave CONNECT header \"{name}\" {reason}");

    internal const string ConnectHookLineBreak = "with a line break, which CONNECT frames cannot escape";

    internal const string ConnectHookColon = "with a colon in its name, which CONNECT frames cannot escape";

    internal const string ConnectHookEmptyName = "with an empty name";

    internal const string ConnectHookOwnHeader = "as an extra header: the client writes it itself (set Login, Passcode or Vhost instead)";

    // ---- The send journal and transactions (beyond the original) ------------------

    /// <summary>A SEND refused because the cluster's send journal is full (count or bytes); never written anywhere.</summary>
    internal static StompError SendJournalFull(int count, long bytes, int bodyLength, int maxCount, long maxBytes) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"Operation \"SEND\" refused: the send journal is full ({count} of {maxCount} SENDs, {bytes} of {maxBytes} bytes awaiting their RECEIPT; this body is {bodyLength} bytes)."),
            E_SEND_JOURNAL_FULL);

    /// <summary>
    /// A command of a transaction whose BEGIN went to a connection that has ended: not sent,
    /// since no other connection knows the transaction and the broker aborted it with the
    /// connection.
    /// </summary>
    internal static StompError TransactionLost(string commandName, string transaction, string host, int port) =>
        new($"{commandName} not sent: transaction \"{transaction}\" began on the connection to {host}:{port.ToString(CultureInfo.InvariantCulture)}, which is closed; the server aborted the transaction with it.", E_OPRN_ERROR);

    /// <summary>A cluster option below its lower bound, named as the option is (<c>SendJournal.MaxCount</c>).</summary>
    internal static ArgumentException ClusterOptionNotPositive(string parameterName) => NotPositiveInteger(parameterName);

    // ---- Connection and operation errors ---------------------------------------------------

    internal static StompError CantConnect(string host, int port, string reason) =>
        new($"Can't connect to {host}:{port.ToString(CultureInfo.InvariantCulture)}: {reason}", E_CANT_CONN);

    /// <summary>A frame the writer refused (a header it cannot encode): the command fails with the writer's text, nothing is sent.</summary>
    internal static StompError FrameRefused(ArgumentException refusal) => new(refusal.Message, E_OPRN_ERROR);

    /// <summary>No CONNECTED within <c>connection_timeout</c> of the connect.</summary>
    internal static StompError HandshakeTimedOut(string host, int port) => CantConnect(host, port, "Connection timed out");

    /// <summary>A socket error; the text is the system's own, as in Perl's <c>$!</c>.</summary>
    internal static StompError Io(string systemText) => new(systemText, E_IO);

    /// <summary>
    /// The server ended the stream. <paramref name="reason"/>: what its transport said beyond
    /// an end-of-file (a WebSocket close frame's status and reason), added in parentheses.
    /// </summary>
    internal static StompError ConnectionClosedByRemoteHost(string? reason = null) =>
        new(reason is null ? "Connection closed by remote host." : $"Connection closed by remote host ({reason}).", E_CONN_CLOSED_BY_REMOTE_HOST);

    internal static StompError ConnectionClosedByClient() =>
        new("Connection closed by client prematurely.", E_CONN_CLOSED_BY_CLIENT);

    internal static StompError ReadTimedOut() => new("Read timed out.", E_READ_TIMEDOUT);

    /// <summary>
    /// A command whose RECEIPT did not come in time (none in the original): the command, its
    /// receipt id (none yet for one still waiting for the session, whose id is made when it
    /// is written), the server and the timeout.
    /// </summary>
    internal static StompError ReceiptTimedOut(string commandName, string? receiptId, string host, int port, double seconds)
    {
        var server = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        var timeout = seconds.ToString("0.###", CultureInfo.InvariantCulture);
        return new(receiptId is null
            ? $"Receipt timed out: {commandName} was still waiting for the session with {server} after {timeout} s, and was never sent."
            : $"Receipt timed out: no RECEIPT for {commandName} (receipt \"{receiptId}\") from {server} within {timeout} s.", E_RECEIPT_TIMEDOUT);
    }

    /// <summary>
    /// The error an ERROR frame stands for: its <c>message</c> header, code
    /// <see cref="E_OPRN_ERROR"/>, the frame attached. Perl leaves the message
    /// <c>undef</c> when the header is missing; the port uses an empty string.
    /// <paramref name="endedSession"/>: the ERROR answered no command and so ends the
    /// session, which the cluster counts as a node failure (the text and code stay the same).
    /// </summary>
    internal static StompError ErrorFrame(Frame errorFrame, bool endedSession = false) =>
        new(errorFrame.Headers["message"] ?? string.Empty, E_OPRN_ERROR, errorFrame) { EndedSession = endedSession };

    /// <summary><c>Operation "&lt;NAME&gt;" aborted: &lt;message&gt;</c>, keeping the cause's code and frame.</summary>
    internal static StompError OperationAborted(string commandName, StompError cause, bool mayHaveBeenDelivered = false) =>
        new($"Operation \"{commandName}\" aborted: {cause.Message}", cause.Code, cause.Frame) { EndedSession = cause.EndedSession, MayHaveBeenDelivered = mayHaveBeenDelivered };

    /// <summary>The same error, saying whether the command may have been delivered: a cluster's final answer after several attempts.</summary>
    internal static StompError WithDoubt(StompError error, bool mayHaveBeenDelivered) =>
        error.MayHaveBeenDelivered == mayHaveBeenDelivered
            ? error
            : new(error.Message, error.Code, error.Frame) { EndedSession = error.EndedSession, MayHaveBeenDelivered = mayHaveBeenDelivered };

    /// <summary><c>Subscription "&lt;id&gt;" lost: &lt;message&gt;</c>, keeping the cause's code and frame.</summary>
    internal static StompError SubscriptionLost(string subscriptionId, StompError cause) =>
        new($"Subscription \"{subscriptionId}\" lost: {cause.Message}", cause.Code, cause.Frame) { EndedSession = cause.EndedSession };

    /// <summary><c>Unexpected ACK sent.</c> or <c>Unexpected NACK sent.</c>, by command name.</summary>
    internal static StompError UnexpectedAcknowledgement(string commandName) =>
        new($"Unexpected {commandName} sent.", E_OPRN_ERROR);

    internal static StompError UnknownSubscription(string subscriptionId) =>
        new($"Don't know how process MESSAGE frame. Unknown subscription \"{subscriptionId}\"", E_UNEXPECTED_DATA);

    internal static StompError UnknownReceipt(string receiptId) =>
        new($"Unknown RECEIPT frame received: receipt-id={receiptId}", E_UNEXPECTED_DATA);

    /// <summary>The reason given when a client is disposed with work pending.</summary>
    internal const string ClientDestroyedText = "Client object destroyed prematurely.";

    /// <summary>
    /// The warning written for each pending command when a client is destroyed:
    /// <c>Operation "&lt;NAME&gt;" aborted: Client object destroyed prematurely.</c> (Perl <c>warn</c>s it, with a newline).
    /// </summary>
    internal static string ClientDestroyedWarning(string commandName) =>
        $"Operation \"{commandName}\" aborted: {ClientDestroyedText}";

    /// <summary>
    /// Written once to standard error when the <c>LoggerFactory</c>'s logger throws: the
    /// client goes on without the line, and its later failures pass in silence.
    /// </summary>
    internal static string LoggerFailed(string category, Exception e) =>
        $"Stomper: the logger of {category} threw {e.GetType().FullName}: {e.Message} (that log line is lost; the client carries on, and further failures of this logger are not reported)";

    /// <summary>A command name that is not a STOMP client command, given to <c>Execute</c>.</summary>
    internal static ArgumentException UnknownClientCommand(string name) =>
        new($"Unknown STOMP command \"{name}\"");

    /// <summary>A second pending command with the same <c>receipt</c> id: the first would never hear of its RECEIPT.</summary>
    internal static StompError ReceiptAlreadyAwaited(string receiptId) =>
        new($"Receipt \"{receiptId}\" is already awaited by another command", E_OPRN_ERROR);

    /// <summary>CONNECTED's <c>heart-beat</c> header, when the client asked for beats and cannot read it.</summary>
    internal static StompError MalformedHeartBeat(string value) =>
        Malformed($"heart-beat header \"{Printable(Encoding.UTF8.GetBytes(value))}\" of CONNECTED is not two integers separated by a comma");

    /// <summary>A server frame that may not come at this point, such as a second CONNECTED.</summary>
    internal static StompError UnexpectedFrame(string command) => Malformed($"unexpected {command} frame");

    // ---- Frame writer argument errors --------------------------------------------------------

    /// <summary>A header that cannot travel unescaped (CONNECT frames, STOMP 1.0) or at all (a CR in STOMP 1.1).</summary>
    internal static ArgumentException HeaderNotEncodable(string name, string command, StompVersion version) =>
        new($"Header \"{name}\" cannot be written in a {command} frame with STOMP {version.ToHeaderValue()}: "
            + "it contains a line break, or a colon in its name, that this frame cannot escape");

    /// <summary>A null name among the headers a frame is built from.</summary>
    internal static ArgumentNullException HeaderNameNull(string parameterName) => new(parameterName, "A header name is null.");

    /// <summary>A null value among the headers a frame is built from.</summary>
    internal static ArgumentNullException HeaderValueNull(string parameterName) => new(parameterName, "A header value is null.");

    /// <summary>A frame writer called out of command, headers, body order (the steps named by the writer).</summary>
    internal static InvalidOperationException FrameOutOfOrder(string expected, string at) =>
        new($"Frame written out of order: expected {expected}, but the frame is at {at}.");

    // ---- Frame reader errors (E_UNEXPECTED_DATA) -------------------------------------------------

    internal static StompError UnknownCommand(ReadOnlySpan<byte> command) =>
        Malformed($"unknown command \"{Printable(command)}\"");

    internal static StompError HeaderWithoutColon(ReadOnlySpan<byte> line) =>
        Malformed($"header line without colon \"{Printable(line)}\"");

    internal static StompError EmptyHeaderName() => Malformed("header with an empty name");

    internal static StompError UndefinedEscape(byte escaped) =>
        Malformed($"undefined escape sequence \"\\{Printable([escaped])}\" in a header");

    internal static StompError DanglingEscape() => Malformed("header ends with an incomplete escape sequence");

    /// <summary>STOMP 1.2 forbids a CR in header names and values except as the escape <c>\\r</c>.</summary>
    internal static StompError RawCarriageReturnInHeader() =>
        Malformed("raw carriage return inside a STOMP 1.2 header (it must be escaped as \\r)");

    internal static StompError InvalidContentLength(string value) =>
        Malformed($"invalid content-length \"{Printable(Encoding.UTF8.GetBytes(value))}\"");

    internal static StompError MissingNulAfterBody() =>
        Malformed("the body of content-length bytes is not followed by NUL");

    internal static StompError FrameTooLarge(int maxFrameSize) =>
        Malformed($"frame larger than {maxFrameSize.ToString(CultureInfo.InvariantCulture)} bytes");

    internal static StompError TooManyHeaders(int maxHeaderCount) =>
        Malformed($"more than {maxHeaderCount.ToString(CultureInfo.InvariantCulture)} headers");

    internal static StompError HeaderLineTooLong(int maxHeaderLineLength) =>
        Malformed($"header line longer than {maxHeaderLineLength.ToString(CultureInfo.InvariantCulture)} bytes");

    internal static StompError CommandLineTooLong(int maxCommandLineLength) =>
        Malformed($"command line longer than {maxCommandLineLength.ToString(CultureInfo.InvariantCulture)} bytes");

    // ---- The async face (Stomper.Async) ---------------------------------------------------

    internal static ArgumentException AsyncNeedsClientOrCluster() =>
        new("Set exactly one of Client (one server) and Cluster (several) in AsyncStomperOptions");

    internal static ArgumentException MessageBufferSizeNotPositive() => NotPositiveInteger("MessageBufferSize");

    internal static ArgumentException MessageBufferLimitBelowSize(int limit, int size) =>
        new($"\"MessageBufferLimit\" ({limit.ToString(CultureInfo.InvariantCulture)}) must be at least \"MessageBufferSize\" ({size.ToString(CultureInfo.InvariantCulture)})");

    internal static InvalidOperationException SubscriptionAlreadyEnumerated(string subscriptionId) =>
        new($"Subscription \"{subscriptionId}\" is already being consumed: one consumer at a time (a handler, or one await foreach)");

    internal static InvalidOperationException TransactionFinished(string transactionId, string how) =>
        new($"Transaction \"{transactionId}\" is already {how}");

    /// <summary>What a disposed async client hands each command it was still running: the cluster's text and code.</summary>
    internal static StompError AsyncClientDisposed(string commandName) => ClusterDestroyed(commandName);

    // ---- Hosting (Stomper.Hosting): configuration errors name the configuration key --------
    // A value is shown only where it cannot be a secret: never a login, passcode or key password.

    internal static string SettingHostAndNodes(string hostKey, string nodesKey) =>
        $"{hostKey} and {nodesKey}: set either Host/Port (one server) or Nodes (a cluster), not both";

    /// <summary>The health check's TCP probe of a node without a session got no answer in time.</summary>
    internal static string ProbeTimedOut(TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"no answer within {timeout.TotalSeconds:0.###} s");

    internal static string SettingHostEmpty(string key) => $"{key}: must name a host, not be empty";

    internal static string SettingNodeNotHostPort(string key, string value) =>
        $"{key}: \"{value}\" is not host:port (for example 127.0.0.1:61613)";

    internal static string SettingPortOutOfRange(string key, string value) =>
        $"{key}: {value} is not a port: it must be from 1 to 65535";

    internal static string SettingHeartbeatShape(string key) =>
        $"{key}: must be two intervals in milliseconds, [cx, cy], each 0 or more";

    internal static string SettingSecondsInvalid(string key) => $"{key}: must be a number of seconds, 0 or more";

    internal static string SettingSecondsNotPositive(string key) => $"{key}: must be a number of seconds above 0";

    internal static string SettingNotPositive(string key) => $"{key}: must be 1 or more";

    internal static string SettingBelow(string key, string floorKey) => $"{key}: must be at least {floorKey}";

    internal static string SettingNegative(string key) => $"{key}: must be 0 or more";

    internal static string SettingLineBreak(string key) =>
        $"{key}: must not contain a line break (CONNECT headers are never escaped)";

    internal static string SettingHeadersEmpty(string key) => $"{key}: must hold header names and values";

    internal static string SettingFileMissing(string key, string path) => $"{key}: no file at \"{path}\"";

    internal static string SettingDirectoryMissing(string key, string path) => $"{key}: no directory at \"{path}\"";

    internal static string SettingClusterOnly(string key) => $"{key}: only a cluster (Nodes) takes it";

    internal static string SettingNeedsOther(string key, string otherKey) => $"{key} is set, so {otherKey} must be set too";

    /// <summary>A value the key checks let through and the client itself refused (its own text).</summary>
    internal static string SettingRefused(string sectionKey, string reason) => $"{sectionKey}: {reason}";

    internal static ArgumentException HostingNameTaken(string name) =>
        new($"A Stomper client named \"{name}\" is already registered");

    internal static InvalidOperationException HostingNameUnknown(string name) =>
        new($"No Stomper client named \"{name}\" is registered: call services.AddStomper(\"{name}\", configuration) first");

    private static StompError Malformed(string detail) => new(MalformedFramePrefix + detail, E_UNEXPECTED_DATA);

    /// <summary>Shows untrusted bytes safely: at most 64 of them, non-printable ones as <c>\xNN</c>.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        const int MaxShown = 64;
        var text = new StringBuilder();
        foreach (byte b in bytes.Length > MaxShown ? bytes[..MaxShown] : bytes)
        {
            if (b is >= 0x20 and < 0x7F)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        if (bytes.Length > MaxShown)
        {
            text.Append("...");
        }

        return text.ToString();
    }
}
