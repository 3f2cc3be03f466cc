namespace Stomper.Hosting;

/// <summary>
/// One Stomper client as configuration describes it: the constructor parameters of
/// AnyEvent::Stomper (one server: <see cref="Host"/>, <see cref="Port"/>) or of
/// AnyEvent::Stomper::Cluster (<see cref="Nodes"/>), the async face's buffer options, and
/// what the host does with the client. Bound from a configuration section by
/// <see cref="StomperServiceCollectionExtensions.AddStomper(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Microsoft.Extensions.Configuration.IConfiguration)"/>
/// and checked when the host starts: a bad value stops the host with a message that names
/// its configuration key (docs/hosting.md).
/// </summary>
/// <remarks>
/// Intervals are seconds as in the original (<c>connection_timeout =&gt; 0.5</c> is
/// <c>"ConnectionTimeout": 0.5</c>), heart-beats milliseconds (<c>"Heartbeat": [5000, 5000]</c>).
/// Callbacks, loops and transports are not configuration: the client's events
/// (<see cref="Async.AsyncStomperClient.Error"/> and the rest) take their place.
/// </remarks>
public sealed class StomperServiceOptions
{
    /// <summary><c>host</c> of a single server (default <c>localhost</c>); not with <see cref="Nodes"/>.</summary>
    public string? Host { get; set; }

    /// <summary><c>port</c> of a single server (default 61613); not with <see cref="Nodes"/>.</summary>
    public int? Port { get; set; }

    /// <summary>The cluster's <c>nodes</c>, each <c>host:port</c> (<c>"Nodes": ["127.0.0.1:61613", "127.0.0.1:61614"]</c>); set for a cluster, instead of <see cref="Host"/>/<see cref="Port"/>.</summary>
    public string[]? Nodes { get; set; }

    /// <summary><c>login</c>.</summary>
    public string? Login { get; set; }

    /// <summary><c>passcode</c>; never shown in an error. Keep it out of appsettings.json: an environment variable or a secret store sets it as well.</summary>
    public string? Passcode { get; set; }

    /// <summary><c>vhost</c> (CONNECT's <c>host</c> header).</summary>
    public string? Vhost { get; set; }

    /// <summary><c>heartbeat =&gt; [cx, cy]</c> in milliseconds (default none: <c>[0, 0]</c>).</summary>
    public int[]? Heartbeat { get; set; }

    /// <summary><c>connection_timeout</c> in seconds (fractional); none: the system's connect timeout.</summary>
    public double? ConnectionTimeout { get; set; }

    /// <summary><c>reconnect_interval</c> in seconds (fractional); none: reconnect on the next command.</summary>
    public double? ReconnectInterval { get; set; }

    /// <summary>Seconds a receipted command waits for its RECEIPT before the connection is given up (<see cref="StomperOptions.ReceiptTimeout"/>); none: for ever, as in the original.</summary>
    public double? ReceiptTimeout { get; set; }

    /// <summary>A cluster's <see cref="Cluster.ClusterOptions.ReconnectPolicy"/>: backoff through an outage instead of the original's one try per node.</summary>
    public StomperReconnectSettings? ReconnectPolicy { get; set; }

    /// <summary><c>lazy =&gt; 1</c>: a single server connects on its first command, not when the client is made. A cluster is always lazy.</summary>
    public bool Lazy { get; set; }

    /// <summary><c>default_headers</c>: headers added to every frame but CONNECT.</summary>
    public Dictionary<string, string>? DefaultHeaders { get; set; }

    /// <summary><c>command_headers</c>: headers per command (<c>"CommandHeaders": { "SEND": { "receipt": "auto" } }</c>).</summary>
    public Dictionary<string, Dictionary<string, string>>? CommandHeaders { get; set; }

    /// <summary><c>handle_params</c> other than TLS.</summary>
    public StomperHandleSettings? Handle { get; set; }

    /// <summary><c>tls =&gt; 'connect'</c> with its <c>tls_ctx</c> and <c>peername</c>: a <c>Tls</c> section turns TLS on.</summary>
    public StomperTlsSettings? Tls { get; set; }

    /// <summary>Limits on what the server may send; unset ones keep their defaults.</summary>
    public StomperFrameLimitSettings? FrameLimits { get; set; }

    /// <summary>The async face's <see cref="Async.AsyncStomperOptions.MessageBufferSize"/> (default 1000).</summary>
    public int MessageBufferSize { get; set; } = 1000;

    /// <summary>The async face's <see cref="Async.AsyncStomperOptions.MessageBufferLimit"/> (default 64 times the buffer's size): how far a full buffer may grow while a reply is awaited.</summary>
    public int? MessageBufferLimit { get; set; }

    /// <summary>The async face's <see cref="Async.AsyncStomperOptions.BrokerPrefetch"/> (default true).</summary>
    public bool BrokerPrefetch { get; set; } = true;

    /// <summary>
    /// When the host starts, wait for a single server's CONNECTED (default true): a server
    /// that cannot be reached or refuses the login then stops the host's start with that
    /// error. False: the host starts at once and the client connects on its own. A cluster
    /// connects on its first command, as in the original, whatever this says.
    /// </summary>
    public bool WaitForConnected { get; set; } = true;

    /// <summary>Seconds the health check gives each unconnected node to accept a TCP connection (default 2).</summary>
    public double HealthProbeTimeout { get; set; } = 2;
}
