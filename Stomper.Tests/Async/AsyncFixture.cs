using NUnit.Framework;

namespace Stomper.Tests.Async;

/// <summary>What the async client's tests share: a harness per test, its clients and brokers closed after it, and no test that can hang.</summary>
[CancelAfter(60_000)]
public abstract class AsyncFixture
{
    internal AsyncHarness H { get; private set; } = null!;

    [SetUp]
    public void CreateHarness() => H = new AsyncHarness();

    [TearDown]
    public async Task DisposeHarness() => await H.DisposeAsync();
}
