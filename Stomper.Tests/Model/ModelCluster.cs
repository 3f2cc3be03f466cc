using EventLoop;
using Stomper.Cluster;

namespace Stomper.Tests.Model;

/// <summary>
/// A <see cref="StomperCluster"/> over three <see cref="ModelBroker"/>s on one loop with a
/// fake clock: what the model test runs on, and what its plain regression tests script
/// by hand. The cluster's callbacks are left for the caller to set.
/// </summary>
internal sealed class ModelCluster : IDisposable
{
    public const double Tick = 0.25;

    public static readonly int[] Ports = [61613, 61614, 61615];

    public ModelCluster(
        int seed,
        int[]? heartbeat = null,
        double? reconnectInterval = null,
        Action<string>? violation = null,
        Action<ModelBroker, Frame>? frameArrived = null,
        ReconnectPolicy? reconnectPolicy = null)
    {
        var random = new Random(seed);
        Loop = new Loop(Clock);
        Network = new ModelNetwork(Loop, random, Ports, violation ?? (detail => Violations.Add(detail)), frameArrived ?? ((_, _) => { }));
        Cluster = new StomperCluster(new ClusterOptions
        {
            Nodes = [.. Ports.Select(p => new ClusterNode("127.0.0.1", p))],
            Heartbeat = heartbeat ?? [0, 1000],
            ConnectionTimeout = 2,
            ReconnectInterval = reconnectInterval,
            Loop = Loop,
            Transport = loop => new MemoryTransport(loop, Network),
            Random = new Random(seed),
            ReconnectPolicy = reconnectPolicy,
            OnError = _ => { },
        });
    }

    public FakeClock Clock { get; } = new();

    public Loop Loop { get; }

    public ModelNetwork Network { get; }

    public StomperCluster Cluster { get; }

    /// <summary>What the brokers found wrong when no other sink was given (an ACK to the wrong session).</summary>
    public List<string> Violations { get; } = [];

    /// <summary>The broker of the node commands go to now.</summary>
    public ModelBroker ActiveBroker => Network.Broker(Cluster.ActiveNode.Port);

    /// <summary>Lets <paramref name="seconds"/> of fake time pass in small ticks, so that heart-beats stay ahead of read timeouts.</summary>
    public void Advance(double seconds)
    {
        Loop.RunPending();
        for (var t = 0.0; t < seconds; t += Tick)
        {
            Clock.Advance(Tick);
            Loop.RunPending();
        }
    }

    public void Dispose()
    {
        Cluster.Dispose();
        Loop.Dispose();
    }
}
