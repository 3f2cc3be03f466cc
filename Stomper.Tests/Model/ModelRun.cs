using System.Globalization;
using EventLoop;
using Stomper.Cluster;

namespace Stomper.Tests.Model;

/// <summary>
/// One seeded sequence of issue 9's model test: a cluster over three
/// <see cref="ModelBroker"/>s on one hand-stepped loop, user operations interleaved with
/// faults, and the invariants checked after every step. A seed replays exactly.
/// </summary>
internal sealed partial class ModelRun : IDisposable
{
    public const string ExactlyOnce = "every command's callback exactly once";
    public const string NothingAfterDispose = "nothing after Dispose";
    public const string NoLibraryException = "no library exception escapes the loop (only those user callbacks threw)";
    public const string BrokersMatchUser = "the subscriptions live on the brokers equal those the user holds";
    public const string QuietAfterForce = "no frame reaches a node after force_disconnect until a new command";
    public const string AckToDeliverer = "ACK/NACK only to the delivering node's live session";
    public const string TablesEmpty = "the client's and cluster's internal tables empty when idle";
    public const string NoMessageAfterEnd = "no message or callback for a subscription after it ended";
    public const string MessageToItsSubscription = "a message reaches the subscription it was sent to";

    private const double Tick = ModelCluster.Tick;
    private static readonly int s_traceLength = int.TryParse(Environment.GetEnvironmentVariable("MODEL_TRACE"), out var n) ? n : 30;
    private static readonly string[] s_ids = ["s0", "s1", "s2"];
    private static readonly string[] s_destinations = ["/queue/a", "/queue/b"];
    private static readonly string[] s_ackModes = ["auto", "client", "client-individual"];

    private readonly int _seed;
    private readonly Random _rng;
    private readonly ModelCluster _model;
    private readonly FakeClock _clock;
    private readonly Loop _loop;
    private readonly ModelNetwork _network;
    private readonly StomperCluster _cluster;
    private readonly Queue<string> _trace = new();
    private readonly Dictionary<int, string> _pending = [];
    private readonly List<SubscriptionInstance> _instances = [];
    private readonly List<Frame> _ackable = [];
    private readonly List<string> _transactions = [];
    private readonly List<UserCallbackException> _inFlight = [];
    private readonly HashSet<UserCallbackException> _thrownInDispose = [];
    private (string Invariant, string Detail)? _violation;
    private int _token;
    private int _transactionCount;
    private int _step;
    private int _callbackBudget;
    private bool _disposed;
    private bool _disposing;
    private bool _quiet;

    public ModelRun(int seed)
    {
        _seed = seed;
        _rng = new Random(seed);
        _model = new ModelCluster(
            seed,
            heartbeat: [_rng.Next(2) * 1000, 1000],
            reconnectInterval: _rng.Next(3) == 0 ? 0.5 : null,
            violation: detail => Fail(AckToDeliverer, detail),
            frameArrived: FrameArrived,
            reconnectPolicy: PolicyFor(seed));
        _clock = _model.Clock;
        _loop = _model.Loop;
        _network = _model.Network;
        _cluster = _model.Cluster;
        _cluster.OnNodeConnect = (host, port) => UserCallback($"on_node_connect {port}", static () => { });
        _cluster.OnNodeDisconnect = (host, port) => UserCallback($"on_node_disconnect {port}", static () => { });
        _cluster.OnNodeError = (err, host, port) => UserCallback($"on_node_error {port}: {err.Message}", static () => { });
        _cluster.OnError = err => UserCallback($"on_error: {err.Message}", static () => { });
        _network.SplitWrites = _rng.Next(2) == 0;
        var policy = _cluster.Backoff is null ? "none" : _cluster.Backoff.MaxAttempts == int.MaxValue ? "unbounded" : $"max {_cluster.Backoff.MaxAttempts} attempts";
        Note($"seed {seed}: heartbeat, brokers {string.Join(", ", _network.Brokers.Select(b => $"{b.Port} v{b.Version.ToHeaderValue()}"))}, split writes {_network.SplitWrites}, reconnect policy {policy}");
    }

    /// <summary>
    /// One run in three keeps its subscriptions through outages with a reconnect policy,
    /// unbounded or giving up after a few attempts. Drawn from a source of its own, so that
    /// the runs without a policy replay the sequences they always did.
    /// </summary>
    private static ReconnectPolicy? PolicyFor(int seed)
    {
        var random = new Random(unchecked(seed * 7919 + 17));
        return random.Next(3) != 0 ? null : new ReconnectPolicy
        {
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromMilliseconds(1500 + random.Next(2) * 1500),
            MaxAttempts = random.Next(2) == 0 ? null : 2 + random.Next(10),
        };
    }

    /// <summary>The last steps, as a failure shows them (MODEL_TRACE sets how many).</summary>
    public IReadOnlyCollection<string> Trace => _trace;

    /// <summary>Runs <paramref name="steps"/> random steps, then heals the brokers, lets everything settle and checks the idle invariants.</summary>
    /// <exception cref="ModelViolationException">An invariant broke.</exception>
    public void Run(int steps)
    {
        for (_step = 1; _step <= steps; _step++)
        {
            _callbackBudget = 3;
            Guard(Step);
            Pump();
        }

        Settle();
    }

    public void Dispose()
    {
        _disposed = true;
        _model.Dispose();
    }

    private void Step()
    {
        if (_disposed)
        {
            if (_rng.Next(4) == 0)
            {
                CommandAfterDispose();
            }
            else
            {
                Advance(Tick * (1 + _rng.Next(8)));
            }

            return;
        }

        var roll = _rng.Next(100);
        switch (roll)
        {
            case < 60:
                Command(fromCallback: false);
                break;
            case < 75:
                Advance(Tick * (1 + _rng.Next(16)));
                break;
            default:
                Fault();
                break;
        }
    }

    /// <summary>Runs the loop until it has nothing to do, accounting for every exception that leaves it.</summary>
    private void Pump()
    {
        for (var pass = 0; ; pass++)
        {
            if (pass > 100_000)
            {
                Fail(NoLibraryException, "the loop never runs dry (a busy loop)");
            }

            bool worked;
            try
            {
                worked = _loop.RunOnce(block: false);
            }
            catch (UserCallbackException e)
            {
                Escaped(e);
                worked = true;
            }
            catch (Exception e) when (e is not ModelViolationException)
            {
                Fail(NoLibraryException, $"RunOnce threw {e}");
                return;
            }

            CheckNoneSwallowed();
            ThrowIfViolated();
            if (!worked)
            {
                return;
            }
        }
    }

    /// <summary>Runs an operation outside the loop (the application's own code), where callbacks the library calls synchronously may throw too.</summary>
    private void Guard(Action operation)
    {
        try
        {
            operation();
        }
        catch (UserCallbackException e)
        {
            Escaped(e);
        }
        catch (Exception e) when (e is not ModelViolationException)
        {
            Fail(NoLibraryException, $"a call threw {e}");
        }

        CheckNoneSwallowed();
        ThrowIfViolated();
    }

    private void Escaped(UserCallbackException e)
    {
        // Dispose answers every pending command at once and rethrows the first exception
        // of their callbacks: the others cannot leave with it, by its documented design.
        if (_inFlight.Count >= 1 && ReferenceEquals(_inFlight[0], e) && _inFlight.Skip(1).All(_thrownInDispose.Contains))
        {
            _inFlight.Clear();
            _thrownInDispose.Clear();
            Note($"  escaped: {e.Message}");
            return;
        }

        Fail(NoLibraryException, $"{e.Message} escaped, but in flight were: {string.Join(", ", _inFlight.Select(x => x.Message))}");
    }

    private void CheckNoneSwallowed()
    {
        if (_inFlight.Count > 0)
        {
            Fail(NoLibraryException, $"a user callback's exception did not leave the loop: {string.Join(", ", _inFlight.Select(x => x.Message))}");
            _inFlight.Clear();
        }
    }

    private void Advance(double seconds)
    {
        Note($"advance {seconds:0.##} s");
        for (var t = 0.0; t < seconds; t += Tick)
        {
            _clock.Advance(Tick);
            Pump();
        }
    }

    /// <summary>Heals every broker and lets time run until nothing is pending, then checks the invariants of an idle system.</summary>
    private void Settle()
    {
        _step = -1;
        Note("settle: faults healed");
        foreach (var broker in _network.Brokers)
        {
            broker.Heal();
        }

        for (var t = 0; t < 240 && !IsIdle(); t++)
        {
            _clock.Advance(Tick);
            Pump();
        }

        // A little more, so that anything that would happen late (a timer left behind) does.
        Advance(8);
        CheckIdle();
        ThrowIfViolated();
    }

    private bool IsIdle() =>
        _pending.Count == 0 && _cluster.Nodes().OfType<StomperClient>().All(c => InternalTables.CommandsInFlight(c) == 0);

    private void CheckIdle()
    {
        if (_pending.Count > 0)
        {
            Fail(ExactlyOnce, $"never answered: {string.Join(", ", _pending.Select(p => $"#{p.Key} {p.Value}"))}");
            return;
        }

        var live = _network.Brokers.SelectMany(b => b.LiveSubscriptions).Select(s => $"{s.Session}/{s.Id}").Order(StringComparer.Ordinal).ToList();
        if (_disposed)
        {
            var open = _network.Brokers.SelectMany(b => b.Sessions).Count(s => s.IsOpen);
            if (open > 0)
            {
                Fail(NothingAfterDispose, $"{open} connection(s) still open after Dispose");
            }

            return;
        }

        var held = Held().Select(i => $"{i.Session}/{i.Id}").Order(StringComparer.Ordinal).ToList();
        if (!live.SequenceEqual(held))
        {
            Fail(BrokersMatchUser, $"brokers have [{string.Join(", ", live)}], the user holds [{string.Join(", ", held)}]");
            return;
        }

        foreach (var node in _cluster.Nodes().OfType<StomperClient>())
        {
            var inFlight = InternalTables.CommandsInFlight(node);
            var expected = Held().Where(i => node.IsConnected && i.Session == node.Session).Select(i => i.Id).Order(StringComparer.Ordinal);
            var table = InternalTables.ClientSubscriptions(node);
            if (inFlight > 0 || !table.SequenceEqual(expected))
            {
                Fail(TablesEmpty, $"node {node.Port}: {inFlight} command(s) in flight, subscriptions [{string.Join(", ", table)}], expected [{string.Join(", ", expected)}]");
                return;
            }
        }

        var clusterTable = InternalTables.ClusterSubscriptions(_cluster);
        var heldIds = Held().Select(i => i.Id).Order(StringComparer.Ordinal);
        if (!clusterTable.SequenceEqual(heldIds))
        {
            Fail(TablesEmpty, $"cluster subscriptions [{string.Join(", ", clusterTable)}], the user holds [{string.Join(", ", heldIds)}]");
        }
    }

    private IEnumerable<SubscriptionInstance> Held() => _instances.Where(i => i.State == SubscriptionState.Held);

    private void FrameArrived(ModelBroker broker, Frame frame)
    {
        if (_disposed)
        {
            Fail(NothingAfterDispose, $"{frame.Command} reached node {broker.Port} after Dispose");
        }
        else if (_quiet)
        {
            Fail(QuietAfterForce, $"{frame.Command} reached node {broker.Port} after force_disconnect, with no command since");
        }
    }

    /// <summary>Every callback the application gives the library goes through here.</summary>
    private void UserCallback(string what, Action update)
    {
        if (_disposed)
        {
            Fail(NothingAfterDispose, $"{what} called after Dispose");
            return;
        }

        Note("  cb " + what);
        update();
        if (!_disposed && !_disposing && _callbackBudget > 0 && _rng.Next(100) < 15)
        {
            _callbackBudget--;
            Command(fromCallback: true);
        }

        if (_rng.Next(100) < 5)
        {
            var e = new UserCallbackException($"thrown by \"{what}\" at step {_step}");
            _inFlight.Add(e);
            if (_disposing)
            {
                _thrownInDispose.Add(e);
            }

            Note("  throws");
            throw e;
        }
    }

    private void Fail(string invariant, string detail) => _violation ??= (invariant, detail);

    private void ThrowIfViolated()
    {
        if (_violation is not { } v)
        {
            return;
        }

        var message = string.Create(CultureInfo.InvariantCulture, $"""
            Invariant broken: {v.Invariant}
              seed {_seed}, step {(_step < 0 ? "settle" : _step.ToString(CultureInfo.InvariantCulture))}: {v.Detail}
              repro: make fuzz FUZZ_SEED={_seed} FUZZ_SEQUENCES=1   (or MODEL_SEED={_seed} dotnet test Stomper.Tests --filter Category=Model)
              last steps:
                {string.Join("\n    ", _trace)}
            """);
        throw new ModelViolationException(v.Invariant, message);
    }

    private void Note(string line)
    {
        if (_trace.Count == s_traceLength)
        {
            _trace.Dequeue();
        }

        _trace.Enqueue(_step > 0 ? $"{_step}: {line}" : line);
    }

    private int NewToken(string description)
    {
        var token = ++_token;
        _pending[token] = description;
        return token;
    }

    private void Answered(int token, string what, StompError? error)
    {
        if (!_pending.Remove(token))
        {
            Fail(ExactlyOnce, $"#{token} {what} called a second time ({error?.Message ?? "success"})");
        }
    }

    private static string? SessionOf(Frame? receipt)
    {
        var id = receipt?.Headers["receipt-id"];
        if (id is null || !id.StartsWith("R_", StringComparison.Ordinal) || id.LastIndexOf('.') is var dot && dot < 2)
        {
            return null;
        }

        return id[2..dot];
    }
}
