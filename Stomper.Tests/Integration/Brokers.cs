using System.Globalization;
using System.Security.Authentication;
using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>A broker's STOMP address.</summary>
public readonly record struct Endpoint(string Host, int Port)
{
    public static Endpoint Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new FormatException($"'{text}' is not host:port");
        }
        return new Endpoint(text[..colon].Trim(), port);
    }

    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>
/// The real brokers the integration tests talk to, and the fault controls of
/// <c>scripts/brokers.sh</c> (see docs/brokers.md).
/// <para>Endpoints come from the environment, with the defaults of the script:
/// STOMPER_RABBIT_NODES and STOMPER_RABBIT_TLS_NODES (comma separated host:port, node 1
/// first), STOMPER_ACTIVEMQ, STOMPER_ACTIVEMQ_TLS, STOMPER_ACTIVEMQ_MTLS, STOMPER_TLS_DIR,
/// STOMPER_LOGIN, STOMPER_PASSCODE. STOMPER_SKIP_BROKER_START=1 means the brokers are
/// someone else's: the script is never run, and tests that kill or pause nodes fail.</para>
/// </summary>
public static class Brokers
{
    public static IReadOnlyList<Endpoint> RabbitNodes { get; } =
        Endpoints("STOMPER_RABBIT_NODES", "127.0.0.1:61613,127.0.0.1:61614,127.0.0.1:61615");

    /// <summary>The same three nodes' STOMP over TLS listeners, node 1 first.</summary>
    public static IReadOnlyList<Endpoint> RabbitTlsNodes { get; } =
        Endpoints("STOMPER_RABBIT_TLS_NODES", "127.0.0.1:61623,127.0.0.1:61624,127.0.0.1:61625");

    /// <summary>The three nodes' Web-STOMP listeners (ws://, path /ws), node 1 first: STOMPER_RABBIT_WS_NODES.</summary>
    public static IReadOnlyList<Endpoint> RabbitWebSocketNodes { get; } =
        Endpoints("STOMPER_RABBIT_WS_NODES", "127.0.0.1:15674,127.0.0.1:15675,127.0.0.1:15676");

    /// <summary>The three nodes' Web-STOMP listeners over TLS (wss://, path /ws): STOMPER_RABBIT_WSS_NODES.</summary>
    public static IReadOnlyList<Endpoint> RabbitSecureWebSocketNodes { get; } =
        Endpoints("STOMPER_RABBIT_WSS_NODES", "localhost:15684,localhost:15685,localhost:15686");

    /// <summary>The URL of a Web-STOMP endpoint: <c>ws://host:port/ws</c>, or <c>wss://</c>.</summary>
    public static Uri WebSocketUrl(Endpoint endpoint, bool secure = false, string path = "/ws") =>
        new($"{(secure ? "wss" : "ws")}://{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}{path}");

    public static Endpoint ActiveMq { get; } = Endpoint.Parse(Env("STOMPER_ACTIVEMQ", "127.0.0.1:61620"));

    /// <summary>ActiveMQ's STOMP over TLS listener, no client certificate asked for.</summary>
    public static Endpoint ActiveMqTls { get; } = Endpoint.Parse(Env("STOMPER_ACTIVEMQ_TLS", "127.0.0.1:61621"));

    /// <summary>ActiveMQ's STOMP over TLS listener that requires a client certificate signed by <see cref="CaFile"/>.</summary>
    public static Endpoint ActiveMqMutualTls { get; } = Endpoint.Parse(Env("STOMPER_ACTIVEMQ_MTLS", "127.0.0.1:61622"));

    /// <summary>The folder of the script's TLS files (docs/brokers.md, "TLS").</summary>
    public static string TlsDir => Env("STOMPER_TLS_DIR",
        Path.Combine(Env("STOMPER_BROKERS_DIR", Path.Combine(RepositoryRoot, "artifacts", "brokers")), "tls"));

    /// <summary>The local CA every broker's certificate chains to.</summary>
    public static string CaFile => Path.Combine(TlsDir, "ca.pem");

    /// <summary>A CA no broker's certificate chains to.</summary>
    public static string OtherCaFile => Path.Combine(TlsDir, "other-ca.pem");

    /// <summary>The client certificate (signed by <see cref="CaFile"/>) and its key.</summary>
    public static string ClientCertFile => Path.Combine(TlsDir, "client.pem");

    /// <inheritdoc cref="ClientCertFile"/>
    public static string ClientKeyFile => Path.Combine(TlsDir, "client-key.pem");

    /// <summary>
    /// <c>handle_params</c> for TLS to these brokers: the chain checked against
    /// <paramref name="caFile"/> (default <see cref="CaFile"/>) and the host name against
    /// <paramref name="peername"/> (default: the host connected to), the client certificate
    /// presented when <paramref name="clientCertificate"/> is true.
    /// </summary>
    public static HandleParams Tls(string? caFile = null, bool clientCertificate = false, string? peername = null,
        SslProtocols protocols = SslProtocols.None) => new()
    {
        Tls = TlsMode.Connect,
        TlsCtx = new TlsContext
        {
            CaFile = caFile ?? CaFile,
            CertFile = clientCertificate ? ClientCertFile : null,
            KeyFile = clientCertificate ? ClientKeyFile : null,
            Protocols = protocols,
        },
        Peername = peername,
    };

    public static string Login { get; } = Env("STOMPER_LOGIN", "guest");

    public static string Passcode { get; } = Env("STOMPER_PASSCODE", "guest");

    public static bool SkipStart { get; } = Environment.GetEnvironmentVariable("STOMPER_SKIP_BROKER_START") == "1";

    /// <summary>RabbitMQ node <paramref name="number"/> (1-based, as the script names them).</summary>
    public static Endpoint Rabbit(int number) => RabbitNodes[number - 1];

    private static readonly Lazy<string> Started = new(Start);

    // Set before the start, so that a start that fails half-way is cleaned up too.
    private static bool s_stopAtEnd;

    /// <summary>
    /// Starts the brokers once per test run (the script reuses brokers that already run).
    /// Throws, so the calling fixture fails, when they cannot be started. Brokers this run
    /// brought up are stopped at its end (<see cref="BrokerRun"/>).
    /// </summary>
    public static void EnsureStarted() => _ = Started.Value;

    /// <summary>Stops the brokers when this run started them (<see cref="BrokerOwnership"/>); otherwise leaves them as they are.</summary>
    public static void StopIfStartedByThisRun()
    {
        if (s_stopAtEnd)
        {
            s_stopAtEnd = false;
            Run(TimeSpan.FromMinutes(2), "stop");
        }
    }

    private static string Start()
    {
        if (SkipStart)
        {
            return "skipped";
        }

        s_stopAtEnd = BrokerOwnership.StartsThem(StatusOrNull());
        return Run(TimeSpan.FromMinutes(5), "start");
    }

    private static string? StatusOrNull()
    {
        try
        {
            return new Stomper.Chaos.BrokerControl(RepositoryRoot).Run(TimeSpan.FromMinutes(1), "status");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Runs <c>start</c> again: returns once all four answer and the cluster has its three nodes.</summary>
    public static void EnsureHealthy()
    {
        if (!SkipStart)
        {
            Run(TimeSpan.FromMinutes(5), "start");
        }
    }

    public static void Kill(string node) => Fault("kill", node);

    public static void Pause(string node) => Fault("pause", node);

    public static void Resume(string node) => Fault("resume", node);

    /// <summary>Starts the node again and returns once it is back in the cluster and answers CONNECT.</summary>
    public static void Restart(string node) => Fault("restart", node);

    /// <summary>RabbitMQ node <paramref name="node"/> closes every client connection (each STOMP session ends with an ERROR frame); the node stays up.</summary>
    public static void CloseConnections(string node) => Fault("close-connections", node);

    /// <summary>
    /// Returns once quorum queue <paramref name="queue"/> has a leader and three members caught up,
    /// on every node's disk; throws when that takes longer than <paramref name="seconds"/>.
    /// </summary>
    public static void SettleQueue(string queue, int seconds = 180) =>
        Fault("settle-queue", queue, new Dictionary<string, string> { ["STOMPER_BROKERS_TIMEOUT"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static void Fault(string command, string node, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (SkipStart)
        {
            throw new InvalidOperationException(
                $"'{command} {node}' needs the brokers of scripts/brokers.sh, but STOMPER_SKIP_BROKER_START=1");
        }

        Run(TimeSpan.FromMinutes(5), environment ?? new Dictionary<string, string>(), command, node);
    }

    /// <summary>The folder holding stomper.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot { get; } = Stomper.Chaos.ChaosSettings.FindRepositoryRoot(AppContext.BaseDirectory);

    private static string Run(TimeSpan timeout, params string[] args) => Run(timeout, new Dictionary<string, string>(), args);

    private static string Run(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var text = new Stomper.Chaos.BrokerControl(RepositoryRoot).Run(timeout, environment, args);
        TestContext.Progress.WriteLine(text);
        return text;
    }

    private static Endpoint[] Endpoints(string variable, string fallback) =>
        Env(variable, fallback)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Endpoint.Parse)
            .ToArray();

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
