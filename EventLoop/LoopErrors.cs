using System.Runtime.InteropServices;

namespace EventLoop;

/// <summary>
/// Every message the event loop throws, in one place: those about threads read alike and
/// always say which thread owns the loop and how to hand work over to it.
/// </summary>
internal static class LoopErrors
{
    private const string HandOver =
        "From another thread, hand the work to the loop with Loop.Post (AE.Post for the default loop), "
        + "or wait for a result with CondVar.Recv, which on another thread blocks until the loop's thread sends.";

    /// <summary>A member that is not thread-safe was called on a thread other than the loop's owner.</summary>
    public static InvalidOperationException WrongThread(string member, Thread owner) => new(
        $"{member} was called on thread {Describe(Thread.CurrentThread)}, but this loop belongs to thread {Describe(owner)}, "
        + "the thread that runs it. The loop, its watchers and handles, and the clients on it are not thread-safe and may only "
        + $"be used on that thread. {HandOver}");

    /// <summary>A thread tried to run a loop that another, live thread owns.</summary>
    public static InvalidOperationException ForeignRun(string member, Thread owner) => new(
        $"{member} was called on thread {Describe(Thread.CurrentThread)}, but this loop belongs to thread {Describe(owner)}: "
        + "a loop is run only by the thread that owns it: the first thread that runs it, until that thread ends or calls "
        + "Loop.ReleaseOwnership (as a thread-pool task that ran the loop should before it returns). "
        + HandOver);

    /// <summary>The loop's own thread tried to run it again from inside one of its callbacks.</summary>
    public static InvalidOperationException NestedRun() => new(
        "The loop cannot be run from inside one of its own callbacks (a blocking wait such as Recv inside a callback, "
        + "which AnyEvent forbids too). Use a callback (cv.Cb) instead.");

    /// <summary>A timer's interval that no timer can keep.</summary>
    public static ArgumentOutOfRangeException TimerInterval(string parameter) =>
        new(parameter, "Timer interval must be a finite number, 0 or above");

    /// <summary><see cref="CondVar.End"/> without a <see cref="CondVar.Begin"/> left to match.</summary>
    public static InvalidOperationException EndWithoutBegin() => new("End called more often than Begin");

    /// <summary><see cref="CondVar.Recv{T}"/> on a variable sent with no value.</summary>
    public static InvalidOperationException SentNoValue() => new("The condition variable was sent no value");

    /// <summary>A name that is not one of Perl's <c>%SIG</c> names on this system.</summary>
    public static ArgumentException UnknownSignal(string name) => new(
        $"Unknown signal \"{name}\" on this system: give one of Perl's %SIG names, "
        + "with or without SIG (HUP, INT, QUIT, TERM, USR1, USR2, ALRM, PIPE, CHLD, CONT, WINCH, TSTP, TTIN, TTOU, URG, XCPU, XFSZ, "
        + "VTALRM, PROF, IO; on Windows only HUP, INT, QUIT and TERM)",
        "name");

    /// <summary>KILL or STOP.</summary>
    public static ArgumentException UncatchableSignal(string name) => new(
        $"Signal \"{name}\" cannot be watched: no process can catch KILL or STOP", "name");

    /// <summary>A fault signal that the runtime handles itself.</summary>
    public static ArgumentException RuntimeOwnedSignal(string name) => new(
        $"Signal \"{name}\" cannot be watched: the .NET runtime handles it itself (a fault becomes an exception or a crash report)", "name");

    /// <summary>A thread waiting in <see cref="CondVar.Recv"/> for a loop that was disposed.</summary>
    public static ObjectDisposedException RecvOnDisposedLoop() => new(
        nameof(Loop), "The loop was disposed while this thread waited in Recv for a condition variable that was never sent");

    /// <summary><see cref="Loop.ReleaseOwnership"/> while the loop runs.</summary>
    public static InvalidOperationException ReleaseWhileRunning() => new(
        "ReleaseOwnership was called while the loop runs (inside Run, RunOnce, Recv or one of its callbacks); "
        + "call it once they have returned.");

    /// <summary>A system call of the loop's waiting phase failed.</summary>
    public static IOException SystemCall(string call, int errno) => new(
        $"The event loop's {call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    /// <summary>The kernel refused to watch a socket (epoll_ctl): the watcher is not created.</summary>
    public static IOException WatchFailed(int errno) => new(
        $"The event loop cannot watch this socket: epoll_ctl failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"
        + (errno == 28 ? "; the per-user limit of watched descriptors (/proc/sys/fs/epoll/max_user_watches) is reached" : string.Empty));

    /// <summary><c>STOMPER_LOOP_BACKEND</c> names a backend this system does not have.</summary>
    public static PlatformNotSupportedException BackendUnavailable(string name) => new(
        $"{IoPoller.BackendVariable}={name}: the {name} backend is not available on this system ({RuntimeInformation.OSDescription}); "
        + "unset the variable to use the best one there is, or set it to select");

    /// <summary><c>STOMPER_LOOP_BACKEND</c> names no backend.</summary>
    public static InvalidOperationException UnknownBackend(string name) => new(
        $"{IoPoller.BackendVariable}={name} names no event loop backend: use epoll (Linux) or select, or unset it");

    /// <summary>A handle with neither a host, a URL nor a connected transport.</summary>
    public static ArgumentException HostRequired(string parameter) =>
        new("A host to connect to (or a connected transport) is required", parameter);

    /// <summary>A TCP port outside 1..65535.</summary>
    public static ArgumentOutOfRangeException PortOutOfRange(string parameter, int port) =>
        new(parameter, port, "Port must be between 1 and 65535");

    /// <summary><see cref="Handle"/>'s un-write to a position that is not among the bytes still queued.</summary>
    public static ArgumentOutOfRangeException NotAnUncommittedPosition(string parameter, long position) =>
        new(parameter, position, "Not a position among the uncommitted bytes");

    /// <summary>More bytes asked of a buffer than it holds.</summary>
    public static ArgumentOutOfRangeException TooFewBuffered(string parameter, int count, int buffered) =>
        new(parameter, count, $"Only {buffered} bytes are buffered");

    /// <summary>A buffer writer advanced past the span it was handed.</summary>
    public static ArgumentOutOfRangeException AdvancedPastSpan(string parameter, int count) =>
        new(parameter, count, "Advanced past the span handed out");

    /// <summary>A socket transport read or written before it connected.</summary>
    public static InvalidOperationException NotConnected() => new("Not connected");

    /// <summary>The write buffer grew past <c>wbuf_max</c> (AnyEvent::Handle's ENOSPC).</summary>
    public static string WriteBufferOverflow(int queued, int max) =>
        $"Write buffer overflow: {queued} bytes queued, wbuf_max is {max}";

    /// <summary>The read buffer reached <c>rbuf_max</c> unconsumed (AnyEvent::Handle's ENOSPC).</summary>
    public static string ReadBufferOverflow(int unconsumed, int max) =>
        $"Read buffer overflow: {unconsumed} bytes unconsumed, rbuf_max is {max}";

    /// <summary>The peer closed the connection with no <c>on_eof</c> to take it (AnyEvent::Handle's EPIPE).</summary>
    public static string UnexpectedEndOfFile() => "Unexpected end-of-file";

    /// <summary>A connect, or a read or write, outlasted its timeout (ETIMEDOUT).</summary>
    public static string ConnectionTimedOut() => "Connection timed out";

    /// <summary>The host name resolved to no address.</summary>
    public static string NoAddress() => "No address associated with hostname";

    /// <summary>A <see cref="TlsTransport"/> asked for with <see cref="TlsMode.None"/>.</summary>
    public static string TlsModeNeeded() => "TLS mode must be Connect or Accept";

    /// <summary><c>tls =&gt; 'accept'</c> without a certificate to present.</summary>
    public static string TlsAcceptNeedsCertificate() =>
        "TLS accept needs a server certificate: set TlsContext.CertFile and KeyFile (cert_file, key_file) or ServerCertificate";

    /// <summary><c>key_file</c> without <c>cert_file</c>.</summary>
    public static string TlsKeyWithoutCertificate() => "TlsContext.KeyFile (key_file) was given without CertFile (cert_file)";

    /// <summary><c>ca_file</c>/<c>ca_path</c> that hold no certificate: trusting nothing would refuse every peer.</summary>
    public static string TlsNoRoots(string? caFile, string? caPath) =>
        $"No CA certificate found in {(caFile is null ? string.Empty : $"ca_file \"{caFile}\"")}{(caFile is not null && caPath is not null ? " or " : string.Empty)}{(caPath is null ? string.Empty : $"ca_path \"{caPath}\" (*.pem, *.crt)")}";

    /// <summary>The certificates or keys of the context could not be loaded.</summary>
    public static string TlsSetupFailed(string reason) => $"TLS setup failed: {reason}";

    /// <summary>The handshake failed for a reason other than the certificate check.</summary>
    public static string TlsHandshakeFailed(string reason) => $"TLS handshake failed: {reason}";

    /// <summary>Reading or writing failed after the handshake.</summary>
    public static string TlsFailed(string reason) => $"TLS error: {reason}";

    /// <summary>The peer closed the TCP connection mid-session without a TLS close_notify.</summary>
    public static string TlsClosedWithoutCloseNotify() =>
        "Connection closed by remote host without a TLS close_notify (what it sent last may be cut off)";

    /// <summary>SslStream asked the ciphertext stream for a second read while one waited (a broken invariant, never the peer's doing).</summary>
    public static InvalidOperationException TlsSecondPendingRead() => new("SslStream issued a second read while one was pending");

    /// <summary>SslStream read the ciphertext stream synchronously with nothing at hand: the read would block the loop.</summary>
    public static InvalidOperationException TlsSynchronousRead() => new("A synchronous read of ciphertext with none at hand would block the loop");

    /// <summary>A read or write before the handshake ended.</summary>
    public static string TlsNotEstablished() => "The TLS handshake has not completed";

    /// <summary>The peer's certificate failed the check: says which check, and the chain's own words.</summary>
    public static string TlsCertificateRejected(
        System.Net.Security.SslPolicyErrors errors,
        System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain,
        string peername,
        bool byCallback)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the peer sent no certificate (RemoteCertificateNotAvailable)");
        }

        if (errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"the certificate's names do not match the peer name \"{peername}\" (RemoteCertificateNameMismatch)");
        }

        if (errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(DescribeChainStatus).Distinct().ToList() ?? [];
            reasons.Add($"its chain is not valid (RemoteCertificateChainErrors{(statuses.Count > 0 ? ": " + string.Join("; ", statuses) : string.Empty)})");
        }

        if (byCallback)
        {
            reasons.Add(errors == System.Net.Security.SslPolicyErrors.None ? "verify_cb refused it" : "verify_cb refused it too");
        }

        var subject = certificate is null ? string.Empty : $" \"{certificate.Subject}\"";
        return $"TLS certificate verification failed for the certificate{subject}: {string.Join(", ", reasons)}";
    }

    /// <summary>A WebSocket URL whose scheme is not <c>ws</c> or <c>wss</c>, or that is not absolute.</summary>
    public static string WebSocketUrlScheme(string url) =>
        $"A WebSocket endpoint is named by an absolute ws:// or wss:// URL (ws://host:15674/ws, say), not \"{url}\"";

    /// <summary><c>tls</c> that contradicts a WebSocket URL: its scheme says whether TLS is spoken.</summary>
    public static string WebSocketTlsMode(string url) =>
        $"tls => 'connect' needs a wss:// URL, and tls => 'accept' has no WebSocket counterpart, not \"{url}\": the URL's scheme decides (wss:// speaks TLS with tls_ctx and peername, ws:// does not)";

    /// <summary>The headers or the TLS options of a WebSocket connect could not be set up.</summary>
    public static string WebSocketSetupFailed(string reason) => $"WebSocket setup failed: {reason}";

    /// <summary>The server answered the upgrade request with something else than 101 Switching Protocols.</summary>
    public static string WebSocketUpgradeRefused(System.Net.HttpStatusCode status, string path) =>
        $"WebSocket upgrade refused: the server answered HTTP {((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        + (Enum.IsDefined(status) ? " " + System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " ") : string.Empty)
        + $" to GET {path} instead of 101 Switching Protocols";

    /// <summary>The server chose a subprotocol that was not offered.</summary>
    public static string WebSocketSubprotocolRefused(IReadOnlyList<string> offered, string reason) =>
        $"WebSocket subprotocol refused: offered {string.Join(", ", offered)}: {reason}";

    /// <summary>The server completed the upgrade without choosing any of the subprotocols offered.</summary>
    public static string WebSocketNoSubprotocol(IReadOnlyList<string> offered) =>
        $"WebSocket subprotocol missing: the server accepted the upgrade without choosing one of {string.Join(", ", offered)} (no Sec-WebSocket-Protocol header)";

    /// <summary>The upgrade failed for another reason (a malformed answer, a connection that ended during it).</summary>
    public static string WebSocketHandshakeFailed(string reason) => $"WebSocket handshake failed: {reason}";

    /// <summary>The server ended the upgrade's connection before any answer (what the HTTP stack would otherwise retry on a new one).</summary>
    public static string WebSocketHungUpBeforeAnswer() => "the server hung up before answering the upgrade request";

    /// <summary>Reading or writing failed once the WebSocket was open.</summary>
    public static string WebSocketFailed(string reason) => $"WebSocket error: {reason}";

    /// <summary>The server sent a close frame: its status and reason.</summary>
    public static string WebSocketClosed(System.Net.WebSockets.WebSocketCloseStatus? status, string? description) =>
        status is { } code
            ? $"WebSocket closed by the server with status {((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture)}"
                + (Enum.IsDefined(code) ? $" ({code})" : string.Empty)
                + (string.IsNullOrEmpty(description) ? string.Empty : $": {description}")
            : "WebSocket closed by the server without a status";

    /// <summary>The connection ended without the close frame that should end a WebSocket.</summary>
    public static string WebSocketEndedWithoutClose() =>
        "the connection ended without a WebSocket close frame (what the server sent last may be cut off)";

    /// <summary>A read or write before the upgrade completed.</summary>
    public static string WebSocketNotOpen() => "The WebSocket upgrade has not completed";

    private static string DescribeChainStatus(System.Security.Cryptography.X509Certificates.X509ChainStatus status)
    {
        var meaning = status.Status switch
        {
            System.Security.Cryptography.X509Certificates.X509ChainStatusFlags.UntrustedRoot
                or System.Security.Cryptography.X509Certificates.X509ChainStatusFlags.PartialChain => "the root is not trusted",
            System.Security.Cryptography.X509Certificates.X509ChainStatusFlags.NotTimeValid => "expired or not yet valid",
            System.Security.Cryptography.X509Certificates.X509ChainStatusFlags.Revoked => "revoked",
            _ => null,
        };
        var information = status.StatusInformation.Trim();
        return meaning is null ? $"{status.Status}: {information}" : $"{status.Status}: {meaning} ({information})";
    }

    private static string Describe(Thread thread) =>
        thread.Name is { Length: > 0 } name ? $"{thread.ManagedThreadId} (\"{name}\")" : thread.ManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
