using NUnit.Framework;

namespace Stomper.Tests.Hosting;

/// <summary>What the hosting tests share: a harness per test, its hosts and brokers torn down after it, and no test that can hang.</summary>
[CancelAfter(60_000)]
public abstract class HostingFixture
{
    internal HostingHarness H { get; private set; } = null!;

    [SetUp]
    public void CreateHarness() => H = new HostingHarness();

    [TearDown]
    public async Task DisposeHarness() => await H.DisposeAsync();
}
