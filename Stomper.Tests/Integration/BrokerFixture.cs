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

    /// <summary>Runs the loop until <paramref name="cv"/> is sent, failing after <paramref name="seconds"/>.</summary>
    protected object?[] Wait(CondVar cv, double seconds = 20)
    {
        using var guard = Loop.Timer(seconds, 0, () => cv.Croak($"nothing after {seconds} s"));
        return cv.Recv();
    }
}
