using System.Globalization;
using Stomper.Cluster;

namespace Stomper.Chaos;

/// <summary>What a chaos run talks to and how hard it pushes.</summary>
internal sealed record ChaosSettings
{
    /// <summary>The three RabbitMQ nodes' STOMP listeners, node 1 first (scripts/brokers.sh names them rabbit1..3 in this order).</summary>
    public required IReadOnlyList<ClusterNode> Nodes { get; init; }

    /// <summary>The checkout holding scripts/brokers.sh.</summary>
    public required string RepositoryRoot { get; init; }

    public string Login { get; init; } = "guest";

    public string Passcode { get; init; } = "guest";

    /// <summary>Picks the first active node and names the queues; printed, so a run can be repeated.</summary>
    public int Seed { get; init; }

    /// <summary>SENDs issued per second while the publisher runs.</summary>
    public double Rate { get; init; } = 300;

    /// <summary>At most this many SENDs wait for their outcome at once.</summary>
    public int Window { get; init; } = 40;

    /// <summary>How many times the kill scenario kills the active node.</summary>
    public int Kills { get; init; } = 10;

    /// <summary>How long the pause scenario keeps the active node stopped (SIGSTOP).</summary>
    public double PauseSeconds { get; init; } = 10;

    /// <summary>How long the outage scenario keeps all three nodes down.</summary>
    public double OutageSeconds { get; init; } = 20;

    /// <summary>The script's name of a node: rabbit1..3 by its place in <see cref="Nodes"/>.</summary>
    public string NodeName(int port)
    {
        var index = Nodes.ToList().FindIndex(n => n.Port == port);
        return index < 0 ? throw new ArgumentException($"port {port} is none of the nodes'") : "rabbit" + (index + 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The nodes from STOMPER_RABBIT_NODES (host:port,...), else 127.0.0.1 and the ports of
    /// STOMPER_RABBIT_STOMP_PORTS (the script's own override), else the script's defaults;
    /// STOMPER_LOGIN / STOMPER_PASSCODE; STOMPER_CHAOS_SEED, else the clock.
    /// </summary>
    public static ChaosSettings FromEnvironment(string repositoryRoot)
    {
        var nodes = Env("STOMPER_RABBIT_NODES") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList()
            : (Env("STOMPER_RABBIT_STOMP_PORTS") ?? "61613 61614 61615")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => new ClusterNode("127.0.0.1", int.Parse(p, CultureInfo.InvariantCulture))).ToList();
        return new ChaosSettings
        {
            Nodes = nodes,
            RepositoryRoot = repositoryRoot,
            Login = Env("STOMPER_LOGIN") ?? "guest",
            Passcode = Env("STOMPER_PASSCODE") ?? "guest",
            Seed = Env("STOMPER_CHAOS_SEED") is { } seed ? int.Parse(seed, CultureInfo.InvariantCulture) : Environment.TickCount & 0xFFFFF,
        };
    }

    /// <summary>The folder holding stomper.sln, found by walking up from <paramref name="start"/>.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "stomper.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no stomper.sln above {start}");
    }

    private static ClusterNode Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new ClusterNode(text[..colon], port)
            : throw new FormatException($"STOMPER_RABBIT_NODES: '{text}' is not host:port");
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
