using NUnit.Framework;
using Stomper.Tests.Integration;

namespace Stomper.Tests;

/// <summary>
/// Ends the test run as it began for the brokers: those a filtered <c>dotnet test</c> started
/// (through <see cref="Brokers.EnsureStarted"/>) are stopped once every test has run, while
/// brokers that already ran before it (<c>make brokers</c>, <c>make test</c>, someone else's)
/// are left up. In the root namespace of the tests, so it runs after all of them.
/// </summary>
[SetUpFixture]
public sealed class BrokerRun
{
    [OneTimeTearDown]
    public void StopTheBrokersThisRunStarted() => Brokers.StopIfStartedByThisRun();
}
