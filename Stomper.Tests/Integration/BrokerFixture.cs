using EventLoop;
using NUnit.Framework;

namespace Stomper.Tests.Integration;

/// <summary>
/// What the tests against the real brokers share: the brokers started once, a fresh loop
/// per test, and a wait that fails the test instead of hanging it.
/// </summary>
[Category("Integration")]
[NonParallelizable]
public abstract class BrokerFixture
{
    /// <summary>The loop of the current test.</summary>
    protected Loop Loop { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartBrokers() => Brokers.EnsureStarted();

    [SetUp]
    public void CreateLoop() => Loop = new Loop();

    [TearDown]
    public void DisposeLoop() => Loop.Dispose();

    /// <summary>A client of <paramref name="node"/> on this test's loop, with the brokers' credentials.</summary>
    protected StomperClient Client(Endpoint node, HandleParams? handleParams = null, int[]? heartbeat = null, Action<StompError>? onError = null,
        double? connectionTimeout = null) => new(new()
    {
        Host = node.Host,
        Port = node.Port,
        Login = Brokers.Login,
        Passcode = Brokers.Passcode,
        Heartbeat = heartbeat,
        ConnectionTimeout = connectionTimeout,
        HandleParams = handleParams,
        Loop = Loop,
        OnError = onError ?? (_ => { }),
    });

    /// <summary>Subscribes and runs the loop until the broker's RECEIPT; fails the test on an error.</summary>
    protected void Subscribed(StomperClient client, CommandParams subscribe)
    {
        var cv = Loop.Cv();
        subscribe.OnReceipt = (_, err) =>
        {
            if (err is null)
            {
                cv.Send();
            }
            else
            {
                cv.Croak(err.Message);
            }
        };
        client.Subscribe(subscribe);
        Wait(cv);
    }

    /// <summary>Runs the loop until <paramref name="cv"/> is sent, failing after <paramref name="seconds"/>.</summary>
    protected object?[] Wait(CondVar cv, double seconds = 20)
    {
        using var guard = Loop.Timer(seconds, 0, () => cv.Croak($"nothing after {seconds} s"));
        return cv.Recv();
    }
}
