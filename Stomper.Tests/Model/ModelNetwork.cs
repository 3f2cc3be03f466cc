using EventLoop;

namespace Stomper.Tests.Model;

/// <summary>
/// The three in-process brokers and the wires to them, all on the run's one loop and one
/// seeded random source. Also where the brokers report what the invariants watch.
/// </summary>
internal sealed class ModelNetwork
{
    private readonly Dictionary<int, ModelBroker> _brokers = [];

    public ModelNetwork(Loop loop, Random random, IEnumerable<int> ports, Action<string> violation, Action<ModelBroker, Frame> frameArrived)
    {
        Loop = loop;
        Random = random;
        Violation = violation;
        FrameArrived = frameArrived;
        foreach (var port in ports)
        {
            _brokers[port] = new ModelBroker(this, port, random.Next(2) == 0 ? StompVersion.V1_1 : StompVersion.V1_2);
        }
    }

    public Loop Loop { get; }

    public Random Random { get; }

    /// <summary>Whether the client's writes are taken piecemeal (a slow socket).</summary>
    public bool SplitWrites { get; set; }

    /// <summary>Called with the text of a broken invariant the brokers detect (an ACK to the wrong session).</summary>
    public Action<string> Violation { get; }

    /// <summary>Called for every whole frame a broker receives.</summary>
    public Action<ModelBroker, Frame> FrameArrived { get; }

    public IEnumerable<ModelBroker> Brokers => _brokers.Values;

    public ModelBroker Broker(int port) => _brokers[port];

    public void Connect(MemoryTransport transport, int port, Action<string?> completed)
    {
        if (!_brokers.TryGetValue(port, out var broker))
        {
            Loop.Postpone(() => completed("Connection refused"));
            return;
        }

        broker.Accept(transport, completed);
    }
}
