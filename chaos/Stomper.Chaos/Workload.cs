using System.Globalization;
using EventLoop;
using Stomper.Cluster;

namespace Stomper.Chaos;

/// <summary>
/// What every scenario runs: one <see cref="StomperCluster"/> that publishes receipted,
/// persistent SENDs to a quorum queue at a steady rate (at most <see cref="ChaosSettings.Window"/>
/// unanswered) and consumes the same queue with client-individual acks, everything it sees
/// written down: each SEND's outcome in the <see cref="Ledger"/>, each node's connects and
/// errors, each RECEIPT of the subscription.
/// </summary>
/// <remarks>
/// Like an application that follows docs/cluster.md, the publisher holds back for half a
/// second after a failed SEND instead of burning through its ids while no node can take them.
/// </remarks>
internal sealed class Workload : IDisposable
{
    private const double BackOffAfterFailure = 0.5;
    private const double TickSeconds = 0.01;

    private readonly Loop _loop;
    private readonly ChaosSettings _settings;
    private readonly string _destination;
    private readonly TimerWatcher _pacer;
    private Action? _waiter;
    private bool _publishing;
    private double _credit;
    private double _heldUntil;
    private int _inFlight;

    public Workload(Loop loop, ChaosSettings settings, ChaosMode mode, string destination)
    {
        _loop = loop;
        _settings = settings;
        _destination = destination;
        Mode = mode;
        Cluster = new StomperCluster(mode.Options(new ClusterOptions
        {
            Nodes = settings.Nodes,
            Login = settings.Login,
            Passcode = settings.Passcode,
            Heartbeat = [1000, 1000],
            Loop = loop,
            Random = new Random(settings.Seed),
            OnNodeConnect = (_, port) => Note(port, "connect", null),
            OnNodeDisconnect = (_, port) => Note(port, "disconnect", null),
            OnNodeError = (err, _, port) => Note(port, "error", err),
            OnError = err => Note(0, "on_error", err),
        }));
        _pacer = loop.Timer(TickSeconds, TickSeconds, Tick);
    }

    public ChaosMode Mode { get; }

    public StomperCluster Cluster { get; }

    public Ledger Ledger { get; } = new();

    /// <summary>Node reports (port 0: the cluster's <c>on_error</c>), in the order they came.</summary>
    public List<NodeEvent> Events { get; } = [];

    /// <summary>Every call of the subscription's <c>on_receipt</c>: a RECEIPT (null) or an error.</summary>
    public List<(double At, StompError? Error)> SubscriptionReceipts { get; } = [];

    /// <summary>Each RECEIPT of a SEND, in the order they came.</summary>
    public List<SendReceipt> SendReceipts { get; } = [];

    public int ActivePort => Cluster.ActiveNode.Port;

    /// <summary>True once the subscription has had a RECEIPT after <paramref name="since"/>.</summary>
    public bool SubscribedSince(double since) => SubscriptionReceipts.Any(r => r.Error is null && r.At >= since);

    /// <summary>Subscribes the consumer: client-individual acks, every message acknowledged on arrival.</summary>
    public void Subscribe()
    {
        var subscribe = new CommandParams
        {
            ["id"] = "chaos",
            ["destination"] = _destination,
            ["ack"] = "client-individual",
            ["prefetch-count"] = "200",
            OnReceipt = (_, err) =>
            {
                SubscriptionReceipts.Add((ChaosClock.Now, err));
                Changed();
            },
            OnMessage = message =>
            {
                Ledger.Delivered(message.Body);
                Cluster.Ack(new CommandParams { Message = message });
                Changed();
            },
        };
        Cluster.Subscribe(Mode.Subscription(subscribe));
    }

    public void StartPublishing() => _publishing = true;

    public void StopPublishing() => _publishing = false;

    /// <summary>
    /// Runs the loop until <paramref name="condition"/> holds, checked after every event the
    /// workload sees (no polling), or <paramref name="seconds"/> pass; says which.
    /// </summary>
    public bool Until(Func<bool> condition, double seconds)
    {
        if (condition())
        {
            return true;
        }

        var cv = _loop.Cv();
        _waiter = () =>
        {
            if (!cv.Ready && condition())
            {
                cv.Send(true);
            }
        };
        using var deadline = _loop.Timer(seconds, 0, () => cv.Send(false));
        try
        {
            return (bool)cv.Recv()[0]!;
        }
        finally
        {
            _waiter = null;
        }
    }

    /// <summary>Lets the loop run for a span the scenario defines (a pause, an outage): not a wait for an event.</summary>
    public void Hold(double seconds) => Until(() => false, seconds);

    /// <summary>Runs blocking work (the broker script) on a worker thread while the loop keeps turning, until it ends.</summary>
    public void Await(Action blocking) => Await(Task.Run(blocking));

    /// <summary>Runs the loop until <paramref name="task"/> ends; rethrows its failure.</summary>
    public void Await(Task task)
    {
        var cv = _loop.Cv();
        task.ContinueWith(_ => cv.Send(), TaskScheduler.Default);
        cv.Recv();
        task.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _pacer.Dispose();
        Cluster.Dispose();
    }

    private void Tick()
    {
        var now = ChaosClock.Now;
        if (!_publishing || now < _heldUntil)
        {
            return;
        }

        _credit = Math.Min(_credit + (_settings.Rate * TickSeconds), _settings.Window);
        while (_credit >= 1 && _inFlight < _settings.Window)
        {
            _credit--;
            SendOne();
        }
    }

    private void SendOne()
    {
        var id = Ledger.Issue();
        _inFlight++;
        var send = new CommandParams
        {
            ["destination"] = _destination,
            ["receipt"] = "auto",
            ["persistent"] = "true",
            Body = id.ToString(CultureInfo.InvariantCulture),
        };
        Cluster.Send(send, (_, err) =>
        {
            if (Ledger.Answered(id, err))
            {
                _inFlight--;
                if (err is null)
                {
                    SendReceipts.Add(new SendReceipt(ChaosClock.Now, ActivePort, Ledger.Entries[id].IssuedAt));
                }
                else
                {
                    _heldUntil = ChaosClock.Now + BackOffAfterFailure;
                }
            }

            Changed();
        });
    }

    private void Note(int port, string kind, StompError? error)
    {
        Events.Add(new NodeEvent(ChaosClock.Now, port, kind, error));
        Changed();
    }

    private void Changed() => _waiter?.Invoke();
}

/// <summary>A SEND's RECEIPT: when, which node was active then, and when the SEND was issued.</summary>
internal readonly record struct SendReceipt(double At, int ActivePort, double IssuedAt);

/// <summary>A node's report to the cluster's callbacks.</summary>
internal sealed record NodeEvent(double At, int Port, string Kind, StompError? Error);
