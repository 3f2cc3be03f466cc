using EventLoop;

namespace Stomper;

/// <summary>
/// The constructor parameters of AnyEvent::Stomper, in PascalCase:
/// <c>AnyEvent::Stomper-&gt;new(host =&gt; ..., heartbeat =&gt; [5000, 5000], on_error =&gt; sub {...})</c>
/// is <c>new StomperClient(new() { Host = ..., Heartbeat = [5000, 5000], OnError = err =&gt; ... })</c>.
/// </summary>
public sealed class StomperOptions
{
    /// <summary>Server host name or address (default <c>localhost</c>); an empty one is refused by the constructor, where Perl took <c>''</c> for the default.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Server port, 1 to 65535 (default 61613); Perl's <c>port =&gt; 0</c> meant the default, here it is refused by the constructor.</summary>
    public int Port { get; init; } = 61613;

    /// <summary>
    /// STOMP over WebSocket: a <c>ws://</c> or <c>wss://</c> URL (<c>ws://broker:15674/ws</c>)
    /// to connect to instead of <see cref="Host"/> and <see cref="Port"/>, which are then
    /// ignored (the client's come from the URL). Not in the original. <c>wss://</c> speaks TLS
    /// with <see cref="HandleParams"/>' <c>tls_ctx</c> and <c>peername</c>, whose <c>tls</c>
    /// must stay unset; <see cref="Transport"/> is not used. See docs/websocket.md.
    /// </summary>
    public Uri? Url { get; init; }

    /// <summary>
    /// The upgrade request of a <see cref="Url"/>: subprotocols (default <c>v12.stomp</c>,
    /// <c>v11.stomp</c>, <c>v10.stomp</c>), extra HTTP headers, and a hook that refreshes
    /// them before each connect. Unused without a <see cref="Url"/>.
    /// </summary>
    public WebSocketOptions? WebSocket { get; init; }

    /// <summary>CONNECT's <c>login</c>; no line breaks, since CONNECT is never escaped.</summary>
    public string? Login { get; init; }

    /// <summary>CONNECT's <c>passcode</c>; no line breaks, since CONNECT is never escaped.</summary>
    public string? Passcode { get; init; }

    /// <summary>The virtual host, sent as CONNECT's <c>host</c> header; no line breaks.</summary>
    public string? Vhost { get; init; }

    /// <summary>
    /// <c>[cx, cy]</c> in milliseconds: the smallest interval at which the client can send
    /// heart-beats, and the interval at which it wants to receive them; 0 = none
    /// (default <c>[0, 0]</c>).
    /// </summary>
    public int[]? Heartbeat { get; init; }

    /// <summary>Seconds (fractional) to get from connect to CONNECTED; null: the kernel's connect timeout.</summary>
    public double? ConnectionTimeout { get; init; }

    /// <summary>
    /// Beyond the original: how long a command that asks for a receipt (SUBSCRIBE,
    /// UNSUBSCRIBE and DISCONNECT always do) waits for its RECEIPT, counted from the call,
    /// so also while it waits for CONNECTED. When it passes, the command fails with
    /// <see cref="ErrorCode.E_RECEIPT_TIMEDOUT"/> and the client gives the connection up as
    /// after any connection failure (on_error, lost subscriptions, the other commands
    /// aborted, on_disconnect): a server that leaves one receipt unanswered while it still
    /// sends heart-beats is stuck, and a RECEIPT coming later must find nothing to answer.
    /// Null (the default), <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/>:
    /// no timeout, as in the original. <see cref="CommandParams.ReceiptTimeout"/> overrides it per command.
    /// </summary>
    public TimeSpan? ReceiptTimeout { get; init; }

    /// <summary>Do not connect until the first command (<c>lazy =&gt; 1</c>).</summary>
    public bool Lazy { get; init; }

    /// <summary>After a disconnect, wait this many seconds before reconnecting; commands queue meanwhile. Null: reconnect on the next command.</summary>
    public double? ReconnectInterval { get; init; }

    /// <summary>Connection parameters (AnyEvent::Handle's).</summary>
    public HandleParams? HandleParams { get; init; }

    /// <summary>Headers added to every outgoing frame but CONNECT, which the login builds alone, as in the original (the lowest precedence).</summary>
    public IReadOnlyDictionary<string, string>? DefaultHeaders { get; init; }

    /// <summary>Headers added to frames of one command: <c>command_headers =&gt; { SEND =&gt; { receipt =&gt; 'auto' } }</c>; an entry for CONNECT is never used, as in the original.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? CommandHeaders { get; init; }

    /// <summary>
    /// <c>on_connect</c>: the TCP connection is made. As in the original it runs before
    /// CONNECT is written, so also before a login that will be refused; commands issued from
    /// it are queued and written once CONNECTED arrives. <see cref="StomperClient.IsConnected"/>
    /// tells whether the session is up.
    /// </summary>
    public Action? OnConnect { get; init; }

    /// <summary><c>on_disconnect</c>: a TCP connection that was made (one <c>on_connect</c> announced) is gone, for any reason, a refused login among them.</summary>
    public Action? OnDisconnect { get; init; }

    /// <summary><c>on_error</c>: connection errors, and command errors of commands without a callback. Default: the message and a newline to standard error.</summary>
    public Action<StompError>? OnError { get; init; }

    /// <summary>
    /// Runs before each CONNECT frame is written (every login, the first and each reconnect),
    /// once the TCP connection is made and <see cref="OnConnect"/> has run, and may change the
    /// login, passcode, vhost and add CONNECT headers: fresh credentials, a token that expires.
    /// Beyond the original. It runs on the loop thread: keep it quick (hand out a token
    /// refreshed elsewhere). Should it throw, or set a value CONNECT cannot carry, the login
    /// fails with <see cref="ErrorCode.E_CANT_CONN"/> <c>Can't connect to &lt;host&gt;:&lt;port&gt;: OnBeforeConnect ...</c>
    /// and the connection closes, as any failed connect (the exception does not leave the loop).
    /// </summary>
    public Action<ConnectHeaders>? OnBeforeConnect { get; init; }

    /// <summary>Set by an owner that must know when a session is up (the cluster, to start its reconnect count afresh); called on CONNECTED, after <see cref="StomperClient.OnLogin"/>'s point.</summary>
    internal Action? OwnerOnLogin { get; init; }

    /// <summary>Limits on what the server may send (frame size, header count, line length).</summary>
    public FrameLimits? FrameLimits { get; init; }

    /// <summary>
    /// Where the client's logs go (connects, CONNECTED, disconnects with their reason,
    /// failovers, retries, refused commands; see docs/observability.md). Beyond the original,
    /// which only had <c>on_error</c>. Null: no logs, and errors still reach
    /// <c>OnError</c> or standard error exactly as in the original.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Makes the client's <see cref="System.Diagnostics.Metrics.Meter"/> (a host's
    /// <c>IMeterFactory</c> from dependency injection). Null: a meter of the process's own,
    /// which costs nothing while no listener subscribes to it.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>The loop to run on (default <see cref="AE.CurrentLoop"/>: <see cref="Loop.Default"/> unless a test opened <see cref="AE.UseLoop"/>).</summary>
    public Loop? Loop { get; init; }

    /// <summary>
    /// Set by an owner that answers every command of this client itself once it is being
    /// destroyed (the cluster, for its node clients): while it says so, a Dispose writes no
    /// "destroyed prematurely" warning, since those commands have their answer from the
    /// owner. Asked at each warning, not once: a node client the user disposes on its own
    /// leaves the cluster's commands unanswered, and the warning is all that reports them.
    /// </summary>
    internal Func<bool>? OwnerAnswersCommands { get; init; }

    /// <summary>Makes the byte stream under the connection; the seam for Moq-mocked sockets. Default: TCP.</summary>
    public Func<Loop, ITransport>? Transport { get; init; }
}
